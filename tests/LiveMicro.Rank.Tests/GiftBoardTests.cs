using System.Net;
using System.Text.Json.Nodes;
using LiveMicro.Rank.Boards;
using LiveMicro.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LiveMicro.Rank.Tests;

[Collection(RankCollection.Name)]
public sealed class GiftBoardTests(RankFixture fixture)
{
    private async Task<JsonArray> EntriesAsync(string path) =>
        (await (await fixture.Ranks.GetAsync(path)).ReadJsonAsync())["entries"]!.AsArray();

    private static (long UserId, string? Name, long Score) Place(JsonNode entry) =>
        (entry["userId"]!.GetValue<long>(), entry["name"]?.GetValue<string>(), entry["score"]!.GetValue<long>());

    [Fact]
    public async Task Gifts_rank_a_rooms_gifters_and_the_anchors_of_the_day_and_of_all_time_by_coins_with_names()
    {
        var anchor = await fixture.Auth.RegisterAndLoginAsync(displayName: "Anchor Ann");
        var room = RankFixture.NewRoomId();
        var otherRoom = RankFixture.NewRoomId();
        var (alice, bob) = (Random.Shared.NextInt64(1, long.MaxValue), Random.Shared.NextInt64(1, long.MaxValue));

        await fixture.Events.PublishAsync(RankFixture.Gift(room, anchor.Id, alice, "Alice", 100));
        await fixture.Events.PublishAsync(RankFixture.Gift(room, anchor.Id, bob, "Bob", 250));
        await fixture.Events.PublishAsync(RankFixture.Gift(room, anchor.Id, alice, "Alice", 200));
        await fixture.Events.PublishAsync(RankFixture.Gift(otherRoom, anchor.Id, bob, "Bob", 1000));

        var expected = new[] { (alice, (string?)"Alice", 300L), (bob, "Bob", 250L) };
        await ApiClient.EventuallyAsync(async () =>
            (await EntriesAsync($"/api/rooms/{room}/ranks/gifters")).Select(Place!).SequenceEqual(expected), "the room's gifters board");

        var today = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd");
        foreach (var path in new[] { "/api/ranks/anchors/daily?top=100", $"/api/ranks/anchors/daily?date={today}&top=100", "/api/ranks/anchors/all-time?top=100" })
        {
            await ApiClient.EventuallyAsync(async () =>
                (await EntriesAsync(path)).Select(Place!).Contains((anchor.Id, "Anchor Ann", 1550L)), $"the anchor on {path}");
        }

        var gifters = await EntriesAsync($"/api/rooms/{room}/ranks/gifters?top=1");
        Assert.Equal((alice, "Alice", 300L), Place(Assert.Single(gifters)!));
        Assert.Equal(1, gifters[0]!["rank"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_gift_delivered_twice_counts_once()
    {
        var room = RankFixture.NewRoomId();
        var gift = RankFixture.Gift(room, anchorId: 7, senderId: 42, "Twice", 500);
        var marker = RankFixture.Gift(room, anchorId: 7, senderId: 43, "Marker", 1);

        await fixture.Events.PublishAsync(gift);
        await fixture.Events.PublishAsync(gift);
        await fixture.Events.PublishAsync(marker);

        // the marker is published last, so once it is on the board both copies of the gift have been handled
        await ApiClient.EventuallyAsync(async () => (await EntriesAsync($"/api/rooms/{room}/ranks/gifters")).Count == 2, "both gifters");
        Assert.Equal((42L, "Twice", 500L), Place((await EntriesAsync($"/api/rooms/{room}/ranks/gifters"))[0]!));
    }

    [Fact]
    public async Task A_gift_applied_again_after_a_crash_before_its_event_was_marked_handled_is_not_counted_again()
    {
        var boards = fixture.RankApp.Services.GetRequiredService<Leaderboards>();
        var room = RankFixture.NewRoomId();
        var gift = RankFixture.Gift(room, anchorId: 8, senderId: 44, "Once", 60);

        Assert.True(await boards.AddGiftAsync(gift));
        Assert.False(await boards.AddGiftAsync(gift));

        Assert.Equal((44L, "Once", 60L), Place(Assert.Single(await EntriesAsync($"/api/rooms/{room}/ranks/gifters"))!));
    }

    [Fact]
    public async Task A_gift_of_an_earlier_day_lands_on_that_days_board()
    {
        var anchorId = Random.Shared.NextInt64(1, long.MaxValue);
        var yesterday = DateTimeOffset.UtcNow.AddDays(-1);

        await fixture.Events.PublishAsync(RankFixture.Gift(RankFixture.NewRoomId(), anchorId, 5, "Late", 77, yesterday));

        await ApiClient.EventuallyAsync(async () =>
            (await EntriesAsync($"/api/ranks/anchors/daily?date={yesterday:yyyy-MM-dd}&top=100")).Select(Place!).Contains((anchorId, null, 77L)),
            "yesterday's board");
        Assert.DoesNotContain(await EntriesAsync("/api/ranks/anchors/daily?top=100"), e => Place(e!).UserId == anchorId);
    }

    [Theory]
    [InlineData("/api/ranks/anchors/daily?top=0", "top")]
    [InlineData("/api/ranks/anchors/all-time?top=101", "top")]
    [InlineData("/api/rooms/1/ranks/gifters?top=-3", "top")]
    [InlineData("/api/ranks/anchors/daily?date=2026-13-01", "date")]
    [InlineData("/api/ranks/anchors/daily?date=yesterday", "date")]
    public async Task Bad_parameters_are_answered_with_a_validation_problem(string path, string field)
    {
        var problem = await (await fixture.Ranks.GetAsync(path)).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.NotNull(problem["errors"]![field]);
    }

    [Fact]
    public async Task An_unknown_board_is_not_found_and_an_empty_board_has_no_entries()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Ranks.GetAsync("/api/ranks/anchors/weekly")).StatusCode);
        Assert.Empty(await EntriesAsync($"/api/rooms/{RankFixture.NewRoomId()}/ranks/gifters"));
    }
}
