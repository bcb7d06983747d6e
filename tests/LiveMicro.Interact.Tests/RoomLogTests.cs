using LiveMicro.Interact.Chat;

namespace LiveMicro.Interact.Tests;

/// <summary>The room's broadcast log: every frame stays readable until each reader is past it, however far the
/// writers run ahead; slots are reused once they are.</summary>
public sealed class RoomLogTests
{
    [Fact]
    public void A_reader_that_has_not_moved_keeps_every_frame_while_the_ring_grows()
    {
        var log = new RoomLog(readers: 2);
        var frames = Enumerable.Range(0, 100).Select(Frame).ToArray();
        log.Advance(0, 100); // one reader is never behind; the other has read nothing

        foreach (var frame in frames) log.Append(frame);

        Assert.Equal(100, log.Head);
        Assert.True(log.Capacity >= 100);
        for (var position = 0; position < 100; position++) Assert.Same(frames[position], log.At(position));
    }

    [Fact]
    public void Slots_are_reused_once_every_reader_is_past_them()
    {
        var log = new RoomLog(readers: 2);
        var capacity = log.Capacity;
        var appended = new List<ChatFrame>();
        for (var round = 0; round < 20; round++)
        {
            for (var i = 0; i < capacity / 2; i++)
            {
                appended.Add(Frame(appended.Count));
                log.Append(appended[^1]);
            }

            // both readers catch up after each half-ring
            log.Advance(0, log.Head);
            log.Advance(1, log.Head);
        }

        Assert.Equal(capacity, log.Capacity);
        Assert.Equal(appended.Count, log.Head);
        for (var position = log.Head - capacity / 2; position < log.Head; position++)
        {
            Assert.Same(appended[(int)position], log.At(position));
        }
    }

    [Fact]
    public void The_slowest_reader_decides_what_is_kept()
    {
        var log = new RoomLog(readers: 2);
        for (var i = 0; i < 10; i++) log.Append(Frame(i));
        log.Advance(0, 10);
        log.Advance(1, 3);
        var kept = Enumerable.Range(3, 7).Select(position => log.At(position)).ToArray();

        for (var i = 10; i < 200; i++) log.Append(Frame(i));

        Assert.Equal(kept, Enumerable.Range(3, 7).Select(position => log.At(position)));
        Assert.True(log.Capacity >= 200 - 3);
    }

    private static ChatFrame Frame(int number) => ChatFrame.Control([0x89, 1, (byte)number]);
}
