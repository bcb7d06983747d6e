using System.Buffers;
using LiveMicro.Media.Rtmp;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Rtmp;

public class RtmpMessageTests
{
    private static RtmpMessage ReadOne()
    {
        var reader = new RtmpChunkReader();
        var input = new SequenceReader<byte>(new ReadOnlySequence<byte>(Vectors.Hex("06 000000 000003 09 01000000 AABBCC")));
        Assert.True(reader.TryReadMessage(ref input, out var message));
        return message;
    }

    [Fact]
    public void Retained_message_stays_readable_until_every_reference_is_released()
    {
        var message = ReadOne();
        var subscriberCopy = message.Retain();

        message.Dispose();

        Assert.Equal([0xAA, 0xBB, 0xCC], subscriberCopy.Payload.ToArray());
        subscriberCopy.Dispose();
    }

    [Fact]
    public void Payload_after_the_last_release_throws_object_disposed()
    {
        var message = ReadOne();
        message.Dispose();

        Assert.Throws<ObjectDisposedException>(() => message.Payload.Length);
    }

    [Fact]
    public void Second_dispose_of_the_last_reference_throws_instead_of_corrupting_the_pool()
    {
        var message = ReadOne();
        message.Dispose();

        Assert.Throws<ObjectDisposedException>(message.Dispose);
    }

    [Fact]
    public void Default_message_has_an_empty_payload_and_nothing_to_dispose()
    {
        var message = default(RtmpMessage);

        Assert.True(message.Payload.IsEmpty);
        message.Dispose();
    }

    [Fact]
    public void Message_larger_than_the_initial_capacity_grows_as_chunks_arrive()
    {
        var payload = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();
        var writer = new RtmpChunkWriter();
        var bytes = Bytes.Write(output => writer.WriteMessage(output, 6, RtmpMessageType.Video, 1, 0, payload));

        var message = Assert.Single(ChunkFeeder.ReadAll(new RtmpChunkReader(), bytes));

        Assert.Equal(payload, message.Payload);
    }
}
