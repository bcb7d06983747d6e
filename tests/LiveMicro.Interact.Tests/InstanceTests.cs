using System.Diagnostics;
using System.Net.Http.Json;
using LiveMicro.Testing;
using System.IO.Pipelines;
using LiveMicro.Interact.Chat;
using LiveMicro.Interact.Chat.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LiveMicro.Interact.Tests;

/// <summary>Two interact instances behind one gateway show one room; an instance that dies leaves no ghost viewers.</summary>
[Collection(InteractCollection.Name)]
public sealed class InstanceTests(InteractFixture fixture)
{
    [Fact]
    public async Task Two_instances_show_the_same_room_counts_messages_and_users()
    {
        var anchor = await fixture.NewUserAsync();
        var roomId = await fixture.CreateRoomAsync(anchor);
        var alice = await fixture.NewUserAsync();
        var bob = await fixture.NewUserAsync();

        await using var onA = await ChatClient.ConnectAsync(fixture.UrlA, roomId, alice.AccessToken);
        await using var onB = await ChatClient.ConnectAsync(fixture.UrlB, roomId, bob.AccessToken);
        Assert.Equal(2, onB.Welcome["viewers"]!.GetValue<long>());
        var entered = await onA.NextAsync("enter", d => d["userId"]!.GetValue<long>() == bob.Id);
        Assert.Equal(bob.Id, entered["userId"]!.GetValue<long>());

        await onA.RequestAsync("danmaku", new { text = "from A" });
        Assert.Equal("from A", (await onB.NextAsync("danmaku"))["text"]!.GetValue<string>());
        await onB.RequestAsync("danmaku", new { text = "from B" });
        Assert.Equal("from B", (await onA.NextAsync("danmaku", d => d["text"]!.GetValue<string>() == "from B"))["text"]!.GetValue<string>());

        var users = await onB.RequestAsync("userlist");
        Assert.Equal(new[] { alice.Id, bob.Id }.Order(), users.Data!["users"]!.AsArray().Select(u => u!["userId"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Viewers_of_an_instance_that_stopped_heartbeating_are_removed_within_about_one_heartbeat()
    {
        var anchor = await fixture.NewUserAsync();
        var roomId = await fixture.CreateRoomAsync(anchor);
        var lost = await fixture.NewUserAsync();
        await using var watcher = await ChatClient.ConnectAsync(fixture.UrlA, roomId);

        // an instance enters a signed-in viewer and a guest, renews its liveness once, then is never heard of again
        var redis = fixture.InteractA.Services.GetRequiredService<IConnectionMultiplexer>();
        var deadId = $"dead-{Guid.NewGuid():N}"[..20];
        var dead = new RoomPresence(redis, Options.Create(new ChatOptions
        {
            InstanceId = deadId,
            HeartbeatInterval = InteractFixture.Heartbeat,
        }), TimeProvider.System);
        var nowhere = new ServerWebSocket(new Pipe().Reader, new StreamOutput(Stream.Null, () => { }));
        Assert.True(await dead.RenewInstanceAsync());
        await dead.EnterAsync(new ChatConnection("dead-1", roomId, lost.Id, "lost one", null, ChatProtocol.Json, nowhere, 8, TimeSpan.FromSeconds(1)));
        await dead.EnterAsync(new ChatConnection("dead-2", roomId, null, null, null, ChatProtocol.Json, nowhere, 8, TimeSpan.FromSeconds(1)));
        var lastRenewal = Stopwatch.StartNew();
        Assert.False(await dead.RenewInstanceAsync());
        Assert.Equal(3, await fixture.InteractA.Services.GetRequiredService<RoomPresence>().CountAsync(roomId));

        var left = await watcher.NextAsync("leave", timeout: InteractFixture.Heartbeat * 4);
        var repairedAfter = lastRenewal.Elapsed;
        Assert.Equal(lost.Id, left["userId"]!.GetValue<long>());
        await watcher.NextAsync("viewers", d => d["viewers"]!.GetValue<long>() == 1, InteractFixture.Heartbeat * 4);
        Assert.Equal(1, await fixture.InteractA.Services.GetRequiredService<RoomPresence>().CountAsync(roomId));

        // the liveness key lives one heartbeat and the live instances look every quarter heartbeat: 1 to 1 1/4
        // heartbeats by design; half a heartbeat of slack for a busy test machine
        Assert.InRange(repairedAfter, InteractFixture.Heartbeat * 0.9, InteractFixture.Heartbeat * 1.75);
        Assert.Equal(0, await redis.GetDatabase().HashLengthAsync(ChatKeys.InstanceConnections(deadId)));
    }

    [Fact]
    public async Task A_live_instance_is_not_swept_and_a_dead_instance_is_forgotten_once_empty()
    {
        var redis = fixture.InteractA.Services.GetRequiredService<IConnectionMultiplexer>();
        var db = redis.GetDatabase();
        var instances = await db.SortedSetRangeByRankAsync(ChatKeys.Instances);
        Assert.Contains("a", instances.Select(i => (string)i!));
        Assert.Contains("b", instances.Select(i => (string)i!));
        Assert.True(await db.KeyExistsAsync(ChatKeys.InstanceAlive("a")));
        Assert.True(await db.KeyExistsAsync(ChatKeys.InstanceAlive("b")));

        var gone = new RoomPresence(redis, Options.Create(new ChatOptions { InstanceId = "gone", HeartbeatInterval = InteractFixture.Heartbeat }),
            TimeProvider.System);
        await gone.RenewInstanceAsync();
        await ApiClient.EventuallyAsync(async () => !(await db.SortedSetRangeByRankAsync(ChatKeys.Instances)).Contains("gone"),
            "the empty dead instance is forgotten", InteractFixture.Heartbeat * 4);
    }

    [Fact]
    public async Task Push_reaches_a_connection_a_user_on_every_device_a_room_and_every_room_and_says_what_happened()
    {
        var anchor = await fixture.NewUserAsync();
        var roomId = await fixture.CreateRoomAsync(anchor);
        var otherRoomId = await fixture.CreateRoomAsync(await fixture.NewUserAsync());
        var alice = await fixture.NewUserAsync();
        await using var phone = await ChatClient.ConnectAsync(fixture.UrlA, roomId, alice.AccessToken);
        await using var laptop = await ChatClient.ConnectAsync(fixture.UrlB, otherRoomId, alice.AccessToken);
        await using var guest = await ChatClient.ConnectAsync(fixture.UrlB, roomId);

        async Task<System.Text.Json.Nodes.JsonNode> PushAsync(object body)
        {
            var response = await fixture.Interact.PostAsJsonAsync("/internal/push", body);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonNode>())!["results"]!;
        }

        var toConnections = await PushAsync(new { connectionIds = new[] { guest.ConnectionId, "a-424242" }, topic = "hello", payload = new { n = 1 } });
        Assert.True(toConnections[0]!["delivered"]!.GetValue<bool>());
        Assert.False(toConnections[1]!["delivered"]!.GetValue<bool>());
        Assert.Equal("not-connected", toConnections[1]!["reason"]!.GetValue<string>());
        var pushed = await guest.NextAsync("push");
        Assert.Equal(toConnections[0]!["messageId"]!.GetValue<string>(), pushed["messageId"]!.GetValue<string>());
        Assert.Equal(1, pushed["payload"]!["n"]!.GetValue<int>());

        var toUser = await PushAsync(new { userId = alice.Id, topic = "lottery.result", payload = "you won" });
        Assert.Equal(2, toUser[0]!["reach"]!.GetValue<long>());
        Assert.Equal("you won", (await phone.NextAsync("push"))["payload"]!.GetValue<string>());
        Assert.Equal("you won", (await laptop.NextAsync("push"))["payload"]!.GetValue<string>());

        var toRoom = await PushAsync(new { roomId, topic = "room.ended", payload = new { } });
        Assert.Equal(2, toRoom[0]!["reach"]!.GetValue<long>());
        Assert.Equal("room.ended", (await guest.NextAsync("push"))["topic"]!.GetValue<string>());
        Assert.Equal("room.ended", (await phone.NextAsync("push"))["topic"]!.GetValue<string>());

        await PushAsync(new { allRooms = true, topic = "maintenance", payload = 1 });
        foreach (var client in new[] { phone, laptop, guest }) await client.NextAsync("push", d => d["topic"]!.GetValue<string>() == "maintenance");

        var twoTargets = await fixture.Interact.PostAsJsonAsync("/internal/push", new { roomId, allRooms = true, topic = "x" });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, twoTargets.StatusCode);
    }
}
