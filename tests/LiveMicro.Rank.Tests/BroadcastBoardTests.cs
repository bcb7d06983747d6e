using System.Net;
using System.Text.Json.Nodes;
using LiveMicro.Contracts;
using LiveMicro.Rank.Boards;
using LiveMicro.Rank.Configuration;
using LiveMicro.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LiveMicro.Rank.Tests;

/// <summary>A room's gifters in its latest broadcast: a new board each time the room goes live.</summary>
[Collection(RankCollection.Name)]
public sealed class BroadcastBoardTests(RankFixture fixture)
{
    // whole seconds: a start is kept to the millisecond
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddMinutes(-30).ToUnixTimeSeconds());

    private Leaderboards Boards => fixture.RankApp.Services.GetRequiredService<Leaderboards>();

    private async Task<(DateTimeOffset? StartedAt, List<(long UserId, string? Name, long Score)> Places)> BroadcastBoardAsync(long room)
    {
        var board = await (await fixture.Ranks.GetAsync($"/api/rooms/{room}/ranks/gifters/broadcast?top=100")).ReadJsonAsync();
        return (board["startedAt"]?.GetValue<DateTimeOffset>(), Places(board));
    }

    private static List<(long UserId, string? Name, long Score)> Places(JsonNode board) =>
        board["entries"]!.AsArray().Select(e => (e!["userId"]!.GetValue<long>(), e["name"]?.GetValue<string>(), e["score"]!.GetValue<long>())).ToList();

    private static RoomStatusChanged Status(long room, string status, DateTimeOffset at) =>
        new(room, AnchorId: 70, "Anchor", "Show", status) { OccurredAt = at };

    /// <summary>The board of the broadcast that started at <paramref name="startedAt"/>, as stored (the API shows only
    /// a room's latest).</summary>
    private async Task<Dictionary<long, long>> StoredBroadcastBoardAsync(long room, DateTimeOffset startedAt)
    {
        var redis = fixture.RankApp.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var prefix = fixture.RankApp.Services.GetRequiredService<IOptions<RankOptions>>().Value.KeyPrefix;
        var key = $"{prefix}room:{room}:broadcast-gifters:{startedAt.ToUnixTimeMilliseconds()}";
        return (await redis.SortedSetRangeByRankWithScoresAsync(key)).ToDictionary(e => (long)e.Element, e => (long)e.Score);
    }

    [Fact]
    public async Task Going_live_starts_a_new_board_while_the_rooms_board_keeps_every_gift()
    {
        var room = RankFixture.NewRoomId();
        await fixture.Events.PublishAsync(Status(room, RoomStatuses.Live, Start));
        await ApiClient.EventuallyAsync(async () => (await BroadcastBoardAsync(room)).StartedAt == Start, "the first broadcast");
        await fixture.Events.PublishAsync(RankFixture.Gift(room, 70, 1, "Alice", 100, Start.AddSeconds(1)));
        await fixture.Events.PublishAsync(RankFixture.Gift(room, 70, 2, "Bob", 50, Start.AddSeconds(2)));
        await fixture.Events.PublishAsync(Status(room, RoomStatuses.Offline, Start.AddMinutes(1)));
        // sent while the room was offline: the last broadcast's, which is the board an offline room shows
        await fixture.Events.PublishAsync(RankFixture.Gift(room, 70, 3, "Carol", 5, Start.AddMinutes(2)));

        await ApiClient.EventuallyAsync(async () => (await BroadcastBoardAsync(room)).Places.SequenceEqual([(1, "Alice", 100L), (2, "Bob", 50L), (3, "Carol", 5L)]),
            "the first broadcast's gifters");

        var second = Start.AddMinutes(10);
        await fixture.Events.PublishAsync(Status(room, RoomStatuses.Live, second));
        await ApiClient.EventuallyAsync(async () => await BroadcastBoardAsync(room) is { StartedAt: var at, Places.Count: 0 } && at == second,
            "an empty board for the second broadcast");
        await fixture.Events.PublishAsync(RankFixture.Gift(room, 70, 1, "Alice", 7, second.AddSeconds(5)));

        await ApiClient.EventuallyAsync(async () => (await BroadcastBoardAsync(room)).Places.SequenceEqual([(1, "Alice", 7L)]), "the second broadcast's gifter");
        Assert.Equal([(1, "Alice", 107L), (2, "Bob", 50L), (3, "Carol", 5L)], await fixture.BoardAsync($"/api/rooms/{room}/ranks/gifters"));
        Assert.Equal(new Dictionary<long, long> { [1] = 100, [2] = 50, [3] = 5 }, await StoredBroadcastBoardAsync(room, Start));
    }

    [Fact]
    public async Task A_room_that_never_went_live_has_an_empty_broadcast_board_with_no_start()
    {
        var room = RankFixture.NewRoomId();
        await fixture.Events.PublishAsync(RankFixture.Gift(room, 70, 1, "Early", 10));
        await ApiClient.EventuallyAsync(async () => (await fixture.BoardAsync($"/api/rooms/{room}/ranks/gifters")).Count == 1, "the gift counted");

        var board = await (await fixture.Ranks.GetAsync($"/api/rooms/{room}/ranks/gifters/broadcast")).ReadJsonAsync();

        Assert.Null(board["startedAt"]);
        Assert.Empty(board["entries"]!.AsArray());
    }

    [Fact]
    public async Task A_broadcast_start_handled_after_its_first_gifts_takes_them_over_from_the_broadcast_before()
    {
        var room = RankFixture.NewRoomId();
        var second = Start.AddMinutes(5);
        Assert.True(await Boards.StartBroadcastAsync(room, Start));
        Assert.True(await Boards.AddGiftAsync(RankFixture.Gift(room, 70, 1, "Alice", 10, Start.AddMinutes(1))));
        // these belong to the second broadcast, whose start is not handled yet
        Assert.True(await Boards.AddGiftAsync(RankFixture.Gift(room, 70, 1, "Alice", 3, second.AddSeconds(1))));
        Assert.True(await Boards.AddGiftAsync(RankFixture.Gift(room, 70, 2, "Bob", 4, second.AddSeconds(2))));
        Assert.Equal(new Dictionary<long, long> { [1] = 13, [2] = 4 }, await StoredBroadcastBoardAsync(room, Start));

        Assert.True(await Boards.StartBroadcastAsync(room, second));

        var (startedAt, places) = await BroadcastBoardAsync(room);
        Assert.Equal(second, startedAt);
        Assert.Equal([(2, "Bob", 4L), (1, "Alice", 3L)], places);
        Assert.Equal(new Dictionary<long, long> { [1] = 10 }, await StoredBroadcastBoardAsync(room, Start));
        Assert.Equal([(1, "Alice", 13L), (2, "Bob", 4L)], await fixture.BoardAsync($"/api/rooms/{room}/ranks/gifters"));
    }

    [Fact]
    public async Task Starts_handled_out_of_order_or_twice_end_with_each_gift_on_its_own_broadcasts_board()
    {
        var room = RankFixture.NewRoomId();
        var (first, second, third) = (Start, Start.AddMinutes(5), Start.AddMinutes(10));
        Assert.True(await Boards.StartBroadcastAsync(room, third));
        Assert.True(await Boards.AddGiftAsync(RankFixture.Gift(room, 70, 1, "In first", 1, first.AddSeconds(1))));
        Assert.True(await Boards.AddGiftAsync(RankFixture.Gift(room, 70, 2, "In second", 2, second.AddSeconds(1))));
        Assert.True(await Boards.AddGiftAsync(RankFixture.Gift(room, 70, 3, "In third", 3, third.AddSeconds(1))));
        Assert.True(await Boards.StartBroadcastAsync(room, first));
        Assert.True(await Boards.StartBroadcastAsync(room, second));
        Assert.False(await Boards.StartBroadcastAsync(room, second));

        Assert.Equal(new Dictionary<long, long> { [1] = 1 }, await StoredBroadcastBoardAsync(room, first));
        Assert.Equal(new Dictionary<long, long> { [2] = 2 }, await StoredBroadcastBoardAsync(room, second));
        var (startedAt, places) = await BroadcastBoardAsync(room);
        Assert.Equal(third, startedAt);
        Assert.Equal([(3, "In third", 3L)], places);
    }

    [Fact]
    public async Task Only_the_latest_broadcasts_keep_their_boards()
    {
        var room = RankFixture.NewRoomId();
        var starts = Enumerable.Range(0, 9).Select(i => Start.AddMinutes(i)).ToList();
        foreach (var start in starts)
        {
            Assert.True(await Boards.StartBroadcastAsync(room, start));
            Assert.True(await Boards.AddGiftAsync(RankFixture.Gift(room, 70, 1, "Regular", 1, start.AddSeconds(1))));
        }

        // eight kept (Rank:BroadcastsKept): the oldest board is gone, the next one still there
        Assert.Empty(await StoredBroadcastBoardAsync(room, starts[0]));
        Assert.Equal(new Dictionary<long, long> { [1] = 1 }, await StoredBroadcastBoardAsync(room, starts[1]));
        var (startedAt, places) = await BroadcastBoardAsync(room);
        Assert.Equal(starts[^1], startedAt);
        Assert.Equal([(1, "Regular", 1L)], places);
    }

    [Fact]
    public async Task A_broadcast_board_socket_gets_an_empty_board_when_the_room_goes_live_again()
    {
        var room = RankFixture.NewRoomId();
        Assert.True(await Boards.StartBroadcastAsync(room, Start));
        Assert.True(await Boards.AddGiftAsync(RankFixture.Gift(room, 70, 1, "Alice", 10, Start.AddSeconds(1))));
        using var socket = await fixture.ConnectAsync($"/ws/rooms/{room}/ranks?board=broadcast-gifters");

        var first = (await socket.ReceiveJsonAsync())!;
        Assert.Equal($"room:{room}:broadcast-gifters", first["board"]!.GetValue<string>());
        Assert.Equal(Start, first["broadcastStartedAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal([(1, "Alice", 10L)], Places(first));

        var second = Start.AddMinutes(5);
        await fixture.Events.PublishAsync(Status(room, RoomStatuses.Live, second));
        await socket.ReceiveUntilAsync(m => m["broadcastStartedAt"]!.GetValue<DateTimeOffset>() == second && Places(m).Count == 0,
            "the new broadcast's empty board");

        await fixture.Events.PublishAsync(RankFixture.Gift(room, 70, 2, "Bob", 20, second.AddSeconds(1)));
        await socket.ReceiveUntilAsync(m => Places(m).SequenceEqual([(2, "Bob", 20L)]), "the new broadcast's first gifter");
    }

    [Fact]
    public async Task A_bad_length_or_an_unknown_room_board_is_refused()
    {
        var problem = await (await fixture.Ranks.GetAsync("/api/rooms/5/ranks/gifters/broadcast?top=0")).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["top"]);

        problem = await (await fixture.Ranks.GetAsync("/ws/rooms/5/ranks?board=weekly")).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["board"]);
    }
}
