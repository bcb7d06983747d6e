using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using LiveMicro.Contracts;
using LiveMicro.Testing;

namespace LiveMicro.Live.Tests;

[Collection(LiveCollection.Name)]
public sealed class RoomSocketTests(LiveFixture fixture)
{
    private async Task<(SignedInUser Anchor, long RoomId, string StreamName)> OpenRoomAsync()
    {
        var anchor = await fixture.Auth.RegisterAndLoginAsync();
        var room = await (await fixture.Live.SendAsync(HttpMethod.Post, "/api/rooms", anchor.AccessToken,
            new { title = "Sockets", category = "test" })).ReadJsonAsync();
        return (anchor, room["id"]!.GetValue<long>(), room["streamName"]!.GetValue<string>());
    }

    private async Task<long> CountAsync(long roomId) =>
        (await (await fixture.Live.GetAsync($"/api/rooms/{roomId}")).ReadJsonAsync())["viewerCount"]!.GetValue<long>();

    private static bool IsViewers(JsonNode message, long count) =>
        message["type"]!.GetValue<string>() == "viewers" && message["viewerCount"]!.GetValue<long>() == count;

    [Fact]
    public async Task A_viewer_gets_the_room_state_and_then_every_count_change()
    {
        var (_, roomId, _) = await OpenRoomAsync();
        using var first = await fixture.ConnectAsync(roomId, guest: "guest-first-1");

        var state = await first.ReceiveJsonAsync();
        Assert.Equal("state", state!["type"]!.GetValue<string>());
        Assert.Equal("offline", state["status"]!.GetValue<string>());
        Assert.Equal(1, state["viewerCount"]!.GetValue<long>());

        using var second = await fixture.ConnectAsync(roomId, guest: "guest-second-1");
        await first.ReceiveUntilAsync(m => IsViewers(m, 2), "the count of 2");
        await second.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        await first.ReceiveUntilAsync(m => IsViewers(m, 1), "the count back to 1");
    }

    [Fact]
    public async Task Two_hundred_viewers_joining_and_leaving_at_once_leave_exact_counts_even_when_half_vanish()
    {
        var (_, roomId, _) = await OpenRoomAsync();
        using var watcher = await fixture.ConnectAsync(roomId, guest: "guest-watcher");

        var viewers = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => fixture.ConnectAsync(roomId, guest: $"guest-crowd-{i:000}")));
        var draining = viewers.Select(socket => socket.DrainAsync()).ToList();
        await watcher.ReceiveUntilAsync(m => IsViewers(m, 201), "201 viewers");
        Assert.Equal(201, await CountAsync(roomId));
        await StreamAssert.EventuallyOnStreamAsync(fixture.RedisConnectionString, nameof(ViewerCountChanged),
            body => body["roomId"]!.GetValue<long>() == roomId && body["viewerCount"]!.GetValue<long>() == 201);

        await Task.WhenAll(viewers.Select((socket, i) => i % 2 == 0
            ? socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None)
            : Task.Run(socket.Abort)));
        await Task.WhenAll(draining);
        await watcher.ReceiveUntilAsync(m => IsViewers(m, 1), "only the watcher left");
        Assert.Equal(1, await CountAsync(roomId));
        foreach (var socket in viewers) socket.Dispose();
    }

    [Fact]
    public async Task One_user_in_several_tabs_counts_once()
    {
        var (_, roomId, _) = await OpenRoomAsync();
        var user = await fixture.Auth.RegisterAndLoginAsync();

        using var tab1 = await fixture.ConnectAsync(roomId, user.AccessToken);
        using var tab2 = await fixture.ConnectAsync(roomId, user.AccessToken);
        var state = await tab2.ReceiveJsonAsync();
        Assert.Equal(1, state!["viewerCount"]!.GetValue<long>());
        Assert.Equal(user.Id, state["userId"]!.GetValue<long>());

        await tab1.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        await Task.Delay(300);
        Assert.Equal(1, await CountAsync(roomId));
    }

    [Fact]
    public async Task A_client_that_stops_answering_pings_is_dropped_and_counted_out()
    {
        var (_, roomId, _) = await OpenRoomAsync();
        using var watcher = await fixture.ConnectAsync(roomId, guest: "guest-watcher-2");

        // a real TCP client that completes the upgrade and then never reads or answers a ping
        using var silent = new TcpClient();
        await silent.ConnectAsync(fixture.LiveAddress.Host, fixture.LiveAddress.Port);
        var stream = silent.GetStream();
        var upgrade = $"GET /ws/rooms/{roomId}?guest=guest-silent-1 HTTP/1.1\r\nHost: {fixture.LiveAddress.Authority}\r\n" +
                      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(upgrade));
        var response = new byte[256];
        var read = await stream.ReadAsync(response);
        Assert.StartsWith("HTTP/1.1 101", Encoding.ASCII.GetString(response, 0, read));

        await watcher.ReceiveUntilAsync(m => IsViewers(m, 2), "the silent client counted");
        // two missed heartbeats (2 x 1 s here), then it is gone
        await watcher.ReceiveUntilAsync(m => IsViewers(m, 1), "the silent client dropped", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Pings_are_answered_and_unknown_messages_get_an_error_frame_without_a_disconnect()
    {
        var (_, roomId, _) = await OpenRoomAsync();
        using var socket = await fixture.ConnectAsync(roomId, guest: "guest-pinger-1");
        await socket.ReceiveJsonAsync();

        await socket.SendJsonAsync("""{"type":"ping","seq":7}""");
        var pong = await socket.ReceiveUntilAsync(m => m["type"]!.GetValue<string>() != "viewers", "a pong");
        Assert.Equal("pong", pong["type"]!.GetValue<string>());
        Assert.Equal(7, pong["seq"]!.GetValue<long>());

        await socket.SendJsonAsync("""{"type":"dance","seq":8}""");
        var error = await socket.ReceiveUntilAsync(m => m["type"]!.GetValue<string>() == "error", "an error frame");
        Assert.Equal("unknown-type", error["code"]!.GetValue<string>());

        await socket.SendJsonAsync("""{"type":"offer","seq":9,"sdp":"v=0"}""");
        var forbidden = await socket.ReceiveUntilAsync(m => m["type"]!.GetValue<string>() == "error", "a refusal");
        Assert.Equal("forbidden", forbidden["code"]!.GetValue<string>());
        Assert.Equal(WebSocketState.Open, socket.State);
    }

    [Theory]
    [InlineData("{not json", WebSocketCloseStatus.InvalidPayloadData)]
    [InlineData("[1,2,3]", WebSocketCloseStatus.InvalidPayloadData)]
    [InlineData("oversize", WebSocketCloseStatus.MessageTooBig)]
    [InlineData("binary", WebSocketCloseStatus.PolicyViolation)]
    public async Task Malformed_messages_close_the_socket_with_a_code_and_reason(string kind, WebSocketCloseStatus expected)
    {
        var (_, roomId, _) = await OpenRoomAsync();
        using var socket = await fixture.ConnectAsync(roomId, guest: $"guest-bad-{Guid.NewGuid():N}"[..30]);
        await socket.ReceiveJsonAsync();

        if (kind == "binary") await socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        else if (kind == "oversize") await socket.SendJsonAsync($$"""{"type":"ping","pad":"{{new string('x', 2000)}}"}""");
        else await socket.SendJsonAsync(kind);

        Assert.Equal(expected, await socket.ReceiveCloseAsync());
        Assert.False(string.IsNullOrEmpty(socket.CloseStatusDescription));
        await ApiClient.EventuallyAsync(async () => await CountAsync(roomId) == 0, "the closed socket counted out");
    }

    [Fact]
    public async Task Room_states_are_pushed_and_ending_the_room_closes_its_sockets()
    {
        var (anchor, roomId, stream) = await OpenRoomAsync();
        using var socket = await fixture.ConnectAsync(roomId, guest: "guest-states-1");
        await socket.ReceiveJsonAsync();

        await fixture.EventBus.PublishAsync(new StreamPublished(roomId, stream, "p1", "rtmp", "h264", "aac"));
        await socket.ReceiveUntilAsync(m => m["type"]!.GetValue<string>() == "status" && m["status"]!.GetValue<string>() == "live", "status live");

        await fixture.Live.SendAsync(HttpMethod.Post, $"/api/rooms/{roomId}/end", anchor.AccessToken);
        await socket.ReceiveUntilAsync(m => m["type"]!.GetValue<string>() == "status" && m["status"]!.GetValue<string>() == "ended", "status ended");
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await socket.ReceiveCloseAsync());
    }

    [Fact]
    public async Task Sockets_to_unknown_or_ended_rooms_and_with_bad_tokens_are_refused_before_the_upgrade()
    {
        var (anchor, roomId, _) = await OpenRoomAsync();

        Assert.Equal(HttpStatusCode.NotFound, await RefusalAsync(987654321, null));
        Assert.Equal(HttpStatusCode.Unauthorized, await RefusalAsync(roomId, "access_token=not.a.token"));
        Assert.Equal(HttpStatusCode.BadRequest, await RefusalAsync(roomId, "guest=bad%20id"));
        await fixture.Live.SendAsync(HttpMethod.Post, $"/api/rooms/{roomId}/end", anchor.AccessToken);
        Assert.Equal(HttpStatusCode.Gone, await RefusalAsync(roomId, null));
    }

    private async Task<HttpStatusCode> RefusalAsync(long roomId, string? query)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        var uri = new UriBuilder(fixture.LiveAddress) { Scheme = "ws", Path = $"/ws/rooms/{roomId}", Query = query ?? "" }.Uri;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));
        return socket.HttpStatusCode;
    }
}
