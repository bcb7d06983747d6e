using LiveMicro.Contracts;
using LiveMicro.Rank.Boards;
using LiveMicro.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LiveMicro.Rank.Tests;

[Collection(RankCollection.Name)]
public sealed class ViewersBoardTests(RankFixture fixture)
{
    private Task<List<(long UserId, string? Name, long Score)>> ViewersBoardAsync() => fixture.BoardAsync("/api/ranks/anchors/viewers?top=100");

    [Fact]
    public async Task A_live_rooms_anchor_is_ranked_by_its_latest_viewer_count_until_the_room_goes_offline()
    {
        var anchorId = Random.Shared.NextInt64(1, long.MaxValue);
        var room = RankFixture.NewRoomId();
        var start = DateTimeOffset.UtcNow;

        await fixture.Events.PublishAsync(new RoomStatusChanged(room, anchorId, "Streaming Sam", "Evening show", RoomStatuses.Live) { OccurredAt = start });
        await fixture.Events.PublishAsync(new ViewerCountChanged(room, anchorId, 3) { OccurredAt = start.AddSeconds(1) });
        await ApiClient.EventuallyAsync(async () => (await ViewersBoardAsync()).Contains((anchorId, "Streaming Sam", 3L)), "three viewers");

        await fixture.Events.PublishAsync(new ViewerCountChanged(room, anchorId, 5) { OccurredAt = start.AddSeconds(2) });
        await ApiClient.EventuallyAsync(async () => (await ViewersBoardAsync()).Contains((anchorId, "Streaming Sam", 5L)), "five viewers");

        await fixture.Events.PublishAsync(new RoomStatusChanged(room, anchorId, "Streaming Sam", "Evening show", RoomStatuses.Offline) { OccurredAt = start.AddSeconds(3) });
        await ApiClient.EventuallyAsync(async () => (await ViewersBoardAsync()).All(e => e.UserId != anchorId), "the anchor off the board");
    }

    [Fact]
    public async Task Counts_and_statuses_handled_out_of_order_end_as_the_newest_of_each_says()
    {
        var boards = fixture.RankApp.Services.GetRequiredService<Leaderboards>();
        var anchorId = Random.Shared.NextInt64(1, long.MaxValue);
        var start = DateTimeOffset.UtcNow;

        // a count that arrives before the room's going live counts once it is live
        Assert.True(await boards.SetViewersAsync(anchorId, null, 4, start.AddSeconds(1)));
        Assert.DoesNotContain(await ViewersBoardAsync(), e => e.UserId == anchorId);
        Assert.True(await boards.SetViewersAsync(anchorId, RoomStatuses.Live, 0, start));
        Assert.Contains((anchorId, (string?)null, 4L), await ViewersBoardAsync());

        // older than what was applied: ignored
        Assert.False(await boards.SetViewersAsync(anchorId, null, 9, start));
        Assert.False(await boards.SetViewersAsync(anchorId, RoomStatuses.Offline, 0, start.AddSeconds(-1)));
        Assert.Contains((anchorId, (string?)null, 4L), await ViewersBoardAsync());

        // nobody watching takes the anchor off until viewers come back
        Assert.True(await boards.SetViewersAsync(anchorId, null, 0, start.AddSeconds(2)));
        Assert.DoesNotContain(await ViewersBoardAsync(), e => e.UserId == anchorId);
        Assert.True(await boards.SetViewersAsync(anchorId, null, 1, start.AddSeconds(3)));
        Assert.Contains((anchorId, (string?)null, 1L), await ViewersBoardAsync());
    }
}
