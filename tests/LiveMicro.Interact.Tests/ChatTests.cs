using System.Net;
using System.Net.WebSockets;
using System.Net.Http.Json;
using LiveMicro.Testing;

namespace LiveMicro.Interact.Tests;

[Collection(InteractCollection.Name)]
public sealed class ChatTests(InteractFixture fixture)
{
    private static string NameOf(SignedInUser user) => $"Name of {user.Username}";

    private async Task<(SignedInUser Anchor, long RoomId)> NewRoomAsync()
    {
        var anchor = await fixture.NewUserAsync();
        return (anchor, await fixture.CreateRoomAsync(anchor));
    }

    [Fact]
    public async Task Guests_entering_push_the_count_and_a_signed_in_user_pushes_entered_and_left_with_the_count()
    {
        var (_, roomId) = await NewRoomAsync();
        await using var watcher = await ChatClient.ConnectAsync(fixture.UrlA, roomId);
        Assert.Equal(1, watcher.Welcome["viewers"]!.GetValue<long>());

        await using (await ChatClient.ConnectAsync(fixture.UrlA, roomId))
        {
            await watcher.NextAsync("viewers", d => d["viewers"]!.GetValue<long>() == 2);
        }

        await watcher.NextAsync("viewers", d => d["viewers"]!.GetValue<long>() == 1);

        var alice = await fixture.NewUserAsync();
        await using (var aliceClient = await ChatClient.ConnectAsync(fixture.UrlA, roomId, alice.AccessToken))
        {
            var entered = await watcher.NextAsync("enter");
            Assert.Equal(alice.Id, entered["userId"]!.GetValue<long>());
            Assert.Equal(NameOf(alice), entered["name"]!.GetValue<string>());
            Assert.Equal(2, entered["viewers"]!.GetValue<long>());
            Assert.Equal(alice.Id, aliceClient.Welcome["userId"]!.GetValue<long>());
        }

        var left = await watcher.NextAsync("leave");
        Assert.Equal(alice.Id, left["userId"]!.GetValue<long>());
        Assert.Equal(1, left["viewers"]!.GetValue<long>());
    }

    [Fact]
    public async Task One_user_on_two_devices_counts_once_and_gets_every_message_on_each()
    {
        var (_, roomId) = await NewRoomAsync();
        var alice = await fixture.NewUserAsync();
        var bob = await fixture.NewUserAsync();
        await using var phone = await ChatClient.ConnectAsync(fixture.UrlA, roomId, alice.AccessToken);
        await using var laptop = await ChatClient.ConnectAsync(fixture.UrlA, roomId, alice.AccessToken);
        Assert.Equal(1, laptop.Welcome["viewers"]!.GetValue<long>());
        await using var bobClient = await ChatClient.ConnectAsync(fixture.UrlA, roomId, bob.AccessToken);
        Assert.Equal(2, bobClient.Welcome["viewers"]!.GetValue<long>());

        Assert.Equal("ack", (await bobClient.RequestAsync("danmaku", new { text = "  hello both  " })).Type);

        foreach (var device in new[] { phone, laptop })
        {
            var danmaku = await device.NextAsync("danmaku");
            Assert.Equal("hello both", danmaku["text"]!.GetValue<string>());
            Assert.Equal(bob.Id, danmaku["userId"]!.GetValue<long>());
            Assert.Equal(NameOf(bob), danmaku["name"]!.GetValue<string>());
        }

        // the laptop leaving is not alice leaving
        await laptop.DisposeAsync();
        await bobClient.RequestAsync("danmaku", new { text = "still here?" });
        var seen = await phone.DrainAsync(TimeSpan.FromMilliseconds(500));
        Assert.DoesNotContain(seen, m => m.Type == "leave");
    }

    [Fact]
    public async Task A_new_joiner_gets_the_last_50_danmaku_oldest_first()
    {
        var (_, roomId) = await NewRoomAsync();
        var talker = await fixture.NewUserAsync();
        await using (var client = await ChatClient.ConnectAsync(fixture.UrlA, roomId, talker.AccessToken))
        {
            for (var i = 1; i <= 55; i++) Assert.Equal("ack", (await client.RequestAsync("danmaku", new { text = $"message {i}" })).Type);
        }

        await using var joiner = await ChatClient.ConnectAsync(fixture.UrlB, roomId);

        var history = joiner.History["messages"]!.AsArray();
        Assert.Equal(50, history.Count);
        Assert.Equal("message 6", history[0]!["text"]!.GetValue<string>());
        Assert.Equal("message 55", history[49]!["text"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("bell\u0007")]
    [InlineData("line\nbreak")]
    public async Task Empty_blank_or_control_character_danmaku_get_an_error_frame_and_the_socket_stays_open(string text)
    {
        var (_, roomId) = await NewRoomAsync();
        var user = await fixture.NewUserAsync();
        await using var client = await ChatClient.ConnectAsync(fixture.UrlA, roomId, user.AccessToken);

        var reply = await client.RequestAsync("danmaku", new { text });

        Assert.Equal("error", reply.Type);
        Assert.Equal("invalid-text", reply.Data!["code"]!.GetValue<string>());
        Assert.Equal("ack", (await client.RequestAsync("danmaku", new { text = "fine" })).Type);
    }

    [Fact]
    public async Task Danmaku_are_limited_to_200_characters_counting_an_emoji_as_one()
    {
        var (_, roomId) = await NewRoomAsync();
        var user = await fixture.NewUserAsync();
        await using var client = await ChatClient.ConnectAsync(fixture.UrlA, roomId, user.AccessToken);

        Assert.Equal("ack", (await client.RequestAsync("danmaku", new { text = string.Concat(Enumerable.Repeat("😀", 200)) })).Type);
        var tooLong = await client.RequestAsync("danmaku", new { text = new string('a', 201) });
        Assert.Equal("invalid-text", tooLong.Data!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Guests_may_watch_but_not_speak()
    {
        var (_, roomId) = await NewRoomAsync();
        await using var guest = await ChatClient.ConnectAsync(fixture.UrlA, roomId);

        var reply = await guest.RequestAsync("danmaku", new { text = "hi" });

        Assert.Equal("sign-in-required", reply.Data!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Sending_faster_than_the_rate_limit_gets_rate_limited_errors_not_a_disconnect()
    {
        var (_, roomId) = await NewRoomAsync();
        var user = await fixture.NewUserAsync();
        await using var client = await ChatClient.ConnectAsync(fixture.UrlA, roomId, user.AccessToken);

        // burst 60, then 20 per second (the fixture's settings)
        var replies = new List<Received>();
        for (var i = 0; i < 80; i++) replies.Add(await client.RequestAsync("danmaku", new { text = $"spam {i}" }));

        var limited = replies.Where(r => r.Type == "error").ToList();
        Assert.NotEmpty(limited);
        Assert.All(limited, r => Assert.Equal("rate-limited", r.Data!["code"]!.GetValue<string>()));
        Assert.True(limited[0].Data!["retryAfterMs"]!.GetValue<int>() > 0);
        Assert.InRange(replies.Count(r => r.Type == "ack"), 60, 75);
        Assert.Equal(WebSocketState.Open, client.Socket.State);
        await Task.Delay(200);
        Assert.Equal("ack", (await client.RequestAsync("danmaku", new { text = "after a pause" })).Type);
    }

    [Fact]
    public async Task The_room_owner_can_mute_a_user_and_set_slow_mode_and_others_cannot()
    {
        var (anchor, roomId) = await NewRoomAsync();
        var user = await fixture.NewUserAsync();
        await using var owner = await ChatClient.ConnectAsync(fixture.UrlA, roomId, anchor.AccessToken);
        await using var viewer = await ChatClient.ConnectAsync(fixture.UrlB, roomId, user.AccessToken);

        var notOwner = await viewer.RequestAsync("mute", new { userId = anchor.Id, seconds = 60 });
        Assert.Equal("not-room-owner", notOwner.Data!["code"]!.GetValue<string>());

        Assert.Equal("ack", (await owner.RequestAsync("mute", new { userId = user.Id, seconds = 60 })).Type);
        Assert.Equal("mute", (await viewer.NextAsync("moderation"))["action"]!.GetValue<string>());
        var muted = await viewer.RequestAsync("danmaku", new { text = "can you hear me" });
        Assert.Equal("muted", muted.Data!["code"]!.GetValue<string>());

        Assert.Equal("ack", (await owner.RequestAsync("unmute", new { userId = user.Id })).Type);
        Assert.Equal("ack", (await owner.RequestAsync("slowmode", new { seconds = 30 })).Type);
        Assert.Equal("ack", (await viewer.RequestAsync("danmaku", new { text = "first" })).Type);
        var second = await viewer.RequestAsync("danmaku", new { text = "second" });
        Assert.Equal("slow-mode", second.Data!["code"]!.GetValue<string>());
        Assert.InRange(second.Data!["retryAfterMs"]!.GetValue<int>(), 1, 30_000);
        // the owner is not slowed down
        Assert.Equal("ack", (await owner.RequestAsync("danmaku", new { text = "one" })).Type);
        Assert.Equal("ack", (await owner.RequestAsync("danmaku", new { text = "two" })).Type);

        var bad = await owner.RequestAsync("mute", new { userId = user.Id, seconds = 0 });
        Assert.Equal("bad-request", bad.Data!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Userlist_pages_the_signed_in_users_present()
    {
        var (_, roomId) = await NewRoomAsync();
        var users = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => fixture.NewUserAsync()));
        var clients = new List<ChatClient>();
        foreach (var user in users) clients.Add(await ChatClient.ConnectAsync(fixture.UrlA, roomId, user.AccessToken));
        await using var guest = await ChatClient.ConnectAsync(fixture.UrlB, roomId);

        var first = await guest.RequestAsync("userlist", new { limit = 2 });
        var second = await guest.RequestAsync("userlist", new { limit = 2, after = first.Data!["next"]!.GetValue<long>() });

        var ids = users.Select(u => u.Id).Order().ToArray();
        Assert.Equal(ids[..2], first.Data!["users"]!.AsArray().Select(u => u!["userId"]!.GetValue<long>()));
        Assert.Equal(3, first.Data!["total"]!.GetValue<long>());
        Assert.Equal([ids[2]], second.Data!["users"]!.AsArray().Select(u => u!["userId"]!.GetValue<long>()));
        Assert.Null(second.Data!["next"]);
        Assert.Equal(NameOf(users.Single(u => u.Id == ids[2])), second.Data!["users"]![0]!["name"]!.GetValue<string>());
        foreach (var client in clients) await client.DisposeAsync();
    }

    [Fact]
    public async Task A_client_that_misses_two_pings_is_dropped_and_counted_out()
    {
        var (_, roomId) = await NewRoomAsync();
        await using var watcher = await ChatClient.ConnectAsync(fixture.UrlA, roomId);
        var silent = await fixture.NewUserAsync();
        await using var ghost = await ChatClient.ConnectAsync(fixture.UrlA, roomId, silent.AccessToken, answerPings: false);
        await watcher.NextAsync("enter");

        var (status, reason) = await ghost.ClosedAsync(InteractFixture.Heartbeat * 6);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Equal("missed two heartbeats", reason);
        var left = await watcher.NextAsync("leave");
        Assert.Equal(silent.Id, left["userId"]!.GetValue<long>());
        Assert.Equal(1, left["viewers"]!.GetValue<long>());
    }

    [Fact]
    public async Task Bad_frames_close_with_1009_1003_or_1007_and_bad_json_gets_an_error_frame()
    {
        var (_, roomId) = await NewRoomAsync();

        await using var tooBig = await ChatClient.ConnectAsync(fixture.UrlA, roomId);
        await tooBig.SendRawAsync(new string('x', 5000));
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, (await tooBig.ClosedAsync()).Status);

        await using var binary = await ChatClient.ConnectAsync(fixture.UrlA, roomId);
        await binary.SendRawAsync("{}", WebSocketMessageType.Binary);
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, (await binary.ClosedAsync()).Status);

        await using var notUtf8 = await ChatClient.ConnectAsync(fixture.UrlA, roomId);
        await notUtf8.Socket.SendAsync(new byte[] { 0x7B, 0xFF, 0xFE, 0x7D }, WebSocketMessageType.Text, true, CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, (await notUtf8.ClosedAsync()).Status);

        await using var client = await ChatClient.ConnectAsync(fixture.UrlA, roomId);
        await client.SendRawAsync("not json");
        Assert.Equal("bad-request", (await client.NextAsync("error"))["code"]!.GetValue<string>());
        var unknown = await client.RequestAsync("dance");
        Assert.Equal("unknown-type", unknown.Data!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Connecting_with_a_bad_token_to_an_unknown_room_or_without_websocket_is_a_problem()
    {
        var (_, roomId) = await NewRoomAsync();

        var badToken = new ClientWebSocket();
        var refused = await Assert.ThrowsAsync<WebSocketException>(() =>
            badToken.ConnectAsync(new Uri($"ws://{fixture.UrlA.Authority}/ws/chat/{roomId}?access_token=forged"), CancellationToken.None));
        Assert.Contains("401", refused.Message);

        await (await fixture.Interact.GetAsync($"/ws/chat/{roomId}")).AssertProblemAsync(HttpStatusCode.BadRequest);
        var unknownRoom = new ClientWebSocket();
        var notFound = await Assert.ThrowsAsync<WebSocketException>(() =>
            unknownRoom.ConnectAsync(new Uri($"ws://{fixture.UrlA.Authority}/ws/chat/987654"), CancellationToken.None));
        Assert.Contains("404", notFound.Message);
    }

    [Fact]
    public async Task The_room_going_live_and_ending_is_pushed_into_the_chat()
    {
        var anchor = await fixture.NewUserAsync();
        var roomId = await fixture.CreateRoomAsync(anchor, "offline");
        await using var viewer = await ChatClient.ConnectAsync(fixture.UrlB, roomId);
        Assert.Equal("offline", viewer.Welcome["roomStatus"]!.GetValue<string>());

        await fixture.PublishRoomStatusAsync(roomId, anchor, "live");
        Assert.Equal("live", (await viewer.NextAsync("room"))["status"]!.GetValue<string>());
        await fixture.PublishRoomStatusAsync(roomId, anchor, "ended");
        Assert.Equal("ended", (await viewer.NextAsync("room"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_slow_reader_is_dropped_with_a_reason_instead_of_slowing_the_room()
    {
        // a clogged socket cannot take the close frame until its reader catches up: give it the time
        var (app, url) = fixture.StartInteract("slow", new Dictionary<string, string?>
        {
            ["Chat:SendQueueCapacity"] = "8",
            ["Chat:CloseTimeout"] = "00:00:30",
        });
        await using var _ = app;
        var (_, roomId) = await NewRoomAsync();
        using var slow = new ClientWebSocket();
        await slow.ConnectAsync(new Uri($"ws://{url.Authority}/ws/chat/{roomId}"), CancellationToken.None);
        await using var fast = await ChatClient.ConnectAsync(url, roomId);

        // 16 MB of pushes into the room: more than the socket buffers and a queue of 8 hold
        var payload = new string('p', 60_000);
        using var push = new HttpClient { BaseAddress = url };
        for (var i = 0; i < 280; i++)
        {
            var response = await push.PostAsJsonAsync("/internal/push", new { roomId, topic = "bulk", payload });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(280, (await fast.DrainAsync(TimeSpan.FromSeconds(3))).Count(m => m.Type == "push"));
        var buffer = new byte[1 << 20];
        WebSocketReceiveResult result;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        do
        {
            result = await slow.ReceiveAsync(buffer, timeout.Token);
        }
        while (result.MessageType != WebSocketMessageType.Close);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, slow.CloseStatus);
        Assert.Equal("too slow: outgoing queue full", slow.CloseStatusDescription);
    }
}
