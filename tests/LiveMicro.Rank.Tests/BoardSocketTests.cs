using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using LiveMicro.Rank.Boards;
using LiveMicro.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LiveMicro.Rank.Tests;

[Collection(RankCollection.Name)]
public sealed class BoardSocketTests(RankFixture fixture)
{
    private static IEnumerable<(long UserId, long Score)> Places(JsonNode message) =>
        message["entries"]!.AsArray().Select(e => (e!["userId"]!.GetValue<long>(), e["score"]!.GetValue<long>()));

    [Fact]
    public async Task A_rooms_board_socket_gets_the_board_at_once_and_again_after_each_gift()
    {
        var room = RankFixture.NewRoomId();
        using var socket = await fixture.ConnectAsync($"/ws/rooms/{room}/ranks?top=2");

        var first = (await socket.ReceiveJsonAsync())!;
        Assert.Equal(("board", $"room:{room}:gifters"), (first["type"]!.GetValue<string>(), first["board"]!.GetValue<string>()));
        Assert.Empty(Places(first));

        await fixture.Events.PublishAsync(RankFixture.Gift(room, 9, 1, "One", 10));
        await socket.ReceiveUntilAsync(m => Places(m).SequenceEqual([(1L, 10L)]), "the first gifter");

        await fixture.Events.PublishAsync(RankFixture.Gift(room, 9, 2, "Two", 30));
        await fixture.Events.PublishAsync(RankFixture.Gift(room, 9, 3, "Three", 20));
        await socket.ReceiveUntilAsync(m => Places(m).SequenceEqual([(2L, 30L), (3L, 20L)]), "the top two of three");
    }

    [Fact]
    public async Task A_gift_counted_by_one_instance_is_pushed_by_another_to_its_watchers()
    {
        var (other, otherClient) = fixture.StartRank();
        await using var _ = other;
        using var __ = otherClient;
        var anchorId = Random.Shared.NextInt64(1, long.MaxValue);
        var room = RankFixture.NewRoomId();
        using var roomSocket = await fixture.ConnectAsync($"/ws/rooms/{room}/ranks", otherClient);
        using var anchorsSocket = await fixture.ConnectAsync("/ws/ranks?board=anchors-all-time&top=100", otherClient);
        await roomSocket.ReceiveJsonAsync();
        await anchorsSocket.ReceiveJsonAsync();

        await fixture.RankApp.Services.GetRequiredService<Leaderboards>().AddGiftAsync(RankFixture.Gift(room, anchorId, 4, "Four", 1_000_000_000));

        await roomSocket.ReceiveUntilAsync(m => Places(m).SequenceEqual([(4L, 1_000_000_000L)]), "the gifter, from the other instance");
        await anchorsSocket.ReceiveUntilAsync(m => Places(m).Contains((anchorId, 1_000_000_000L)), "the anchor, from the other instance");
    }

    [Fact]
    public async Task The_days_board_socket_gets_the_new_days_board_at_midnight_without_a_gift()
    {
        var clock = new ShiftedTimeProvider(TimeSpan.Zero);
        var (app, client) = fixture.StartRank(clock);
        await using var _ = app;
        using var __ = client;
        var anchorId = Random.Shared.NextInt64(1, long.MaxValue);
        await app.Services.GetRequiredService<Leaderboards>().AddGiftAsync(RankFixture.Gift(RankFixture.NewRoomId(), anchorId, 6, "Six", 66));
        using var socket = await fixture.ConnectAsync("/ws/ranks?board=anchors-daily&top=100", client);
        Assert.Contains((anchorId, 66L), Places((await socket.ReceiveJsonAsync())!));

        clock.Offset = TimeSpan.FromDays(1);

        await socket.ReceiveUntilAsync(m => !Places(m).Any(p => p.UserId == anchorId), "the next day's board, without today's gift");
    }

    [Fact]
    public async Task A_client_that_closes_gets_a_normal_close_back()
    {
        using var socket = await fixture.ConnectAsync("/ws/ranks");
        Assert.Equal("anchors:daily", (await socket.ReceiveJsonAsync())!["board"]!.GetValue<string>());

        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await socket.ReceiveCloseAsync());
    }

    [Theory]
    [InlineData("/ws/ranks?board=weekly", "board")]
    [InlineData("/ws/ranks?top=0", "top")]
    [InlineData("/ws/rooms/5/ranks?top=1000", "top")]
    public async Task A_bad_board_or_length_is_refused_before_the_upgrade(string path, string field)
    {
        var socket = new ClientWebSocket();
        var address = new UriBuilder(fixture.Ranks.BaseAddress!) { Scheme = "ws" }.Uri;
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri(address, path), CancellationToken.None));
        Assert.Contains("400", refused.Message);

        var problem = await (await fixture.Ranks.GetAsync(path)).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]![field]);
    }

    [Fact]
    public async Task A_plain_GET_is_told_the_endpoint_speaks_WebSocket()
    {
        var problem = await (await fixture.Ranks.GetAsync("/ws/rooms/5/ranks")).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.EndsWith("websocket-required", problem["type"]!.GetValue<string>());
    }
}
