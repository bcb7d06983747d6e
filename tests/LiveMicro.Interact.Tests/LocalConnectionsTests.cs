using System.IO.Pipelines;
using LiveMicro.Interact.Chat;
using LiveMicro.Interact.Chat.WebSockets;

namespace LiveMicro.Interact.Tests;

/// <summary>Room broadcasts through the rooms' walks, on connections that write into memory: every connection gets
/// every frame once and all in the same order, whoever broadcasts and however fast; emptied rooms are forgotten.</summary>
public sealed class LocalConnectionsTests
{
    [Fact]
    public async Task Concurrent_broadcasts_reach_every_connection_once_and_in_one_order()
    {
        var local = new LocalConnections();
        var viewers = Enumerable.Range(0, 40).Select(i => Viewer(roomId: 7, $"c{i}")).ToArray();
        var elsewhere = Viewer(roomId: 8, "other");
        foreach (var viewer in viewers) local.Add(viewer.Connection);
        local.Add(elsewhere.Connection);

        // four broadcasters, 250 frames each, while viewers are being walked
        await Task.WhenAll(Enumerable.Range(0, 4).Select(sender => Task.Run(() =>
        {
            for (var i = 0; i < 250; i++) Assert.Equal(40, local.DeliverToRoom(7, Frame(sender * 250 + i)));
        })));

        var expected = 1000 * 3;
        await WaitUntilAsync(() => viewers.All(viewer => viewer.Output.Length >= expected));
        var first = viewers[0].Output.ToArray();
        Assert.Equal(expected, first.Length);
        // every frame once (3 bytes each, the last one its number) and in the same order on every connection
        Assert.Equal(Enumerable.Range(0, 1000).Select(n => (byte)(n % 251)).Order(),
            first.Chunk(3).Select(frame => frame[2]).Order());
        foreach (var viewer in viewers) Assert.Equal(first, viewer.Output.ToArray());
        Assert.Equal(0, elsewhere.Output.Length);
    }

    [Fact]
    public async Task A_viewer_who_joins_gets_what_is_broadcast_after_it_and_nothing_before()
    {
        var local = new LocalConnections();
        var early = Viewer(roomId: 3, "early");
        local.Add(early.Connection);
        local.DeliverToRoom(3, Frame(1));
        await WaitUntilAsync(() => early.Output.Length == 3);

        var late = Viewer(roomId: 3, "late");
        local.Add(late.Connection);
        local.DeliverToRoom(3, Frame(2));

        await WaitUntilAsync(() => early.Output.Length == 6 && late.Output.Length == 3);
        Assert.Equal(2, late.Output.ToArray()[2]);
    }

    [Fact]
    public void A_room_and_a_user_with_no_connection_left_are_forgotten()
    {
        var local = new LocalConnections();
        var phone = Viewer(roomId: 5, "phone", userId: 42);
        var laptop = Viewer(roomId: 6, "laptop", userId: 42);
        local.Add(phone.Connection);
        local.Add(laptop.Connection);
        Assert.Equal(2, local.RoomCount);

        local.Remove(phone.Connection);
        Assert.Equal(1, local.RoomCount);
        Assert.Equal(0, local.DeliverToRoom(5, Frame(0)));
        Assert.Equal(1, local.DeliverToUser(42, Frame(0)));

        local.Remove(laptop.Connection);
        Assert.Equal((0, 0), (local.RoomCount, local.Count));
        Assert.Equal(0, local.DeliverToUser(42, Frame(0)));
    }

    private static ChatFrame Frame(int number) => ChatFrame.Control([0x89, 1, (byte)(number % 251)]);

    private static (ChatConnection Connection, MemoryStream Output) Viewer(long roomId, string id, long? userId = null)
    {
        var output = new MemoryStream();
        var socket = new ServerWebSocket(new Pipe().Reader, new StreamOutput(output, () => { }));
        return (new ChatConnection(id, roomId, userId, null, null, ChatProtocol.Json, socket, queueCapacity: 10_000,
            closeTimeout: TimeSpan.FromSeconds(5)), output);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the walks");
            await Task.Delay(10);
        }
    }
}
