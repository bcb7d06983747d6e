using System.Net;
using LiveMicro.Interact.Lotteries;
using LiveMicro.Testing;

namespace LiveMicro.Interact.Tests;

[Collection(InteractCollection.Name)]
public sealed class LotteryTests(InteractFixture fixture)
{
    private async Task<long> CreateAsync(SignedInUser owner, long roomId, int winners, string joinMode = "button",
        string? keyword = null, bool followersOnly = false, TimeSpan? closesIn = null)
    {
        var response = await fixture.Interact.SendAsync(HttpMethod.Post, $"/api/rooms/{roomId}/lotteries", owner.AccessToken, new
        {
            prize = "A signed poster", winnerCount = winners, joinMode, keyword, followersOnly,
            closesAt = DateTimeOffset.UtcNow + (closesIn ?? TimeSpan.FromMinutes(10)),
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.ReadJsonAsync())["id"]!.GetValue<long>();
    }

    private Task<HttpResponseMessage> JoinAsync(SignedInUser user, long lotteryId, HttpClient? via = null) =>
        (via ?? fixture.Interact).SendAsync(HttpMethod.Post, $"/api/lotteries/{lotteryId}/entries", user.AccessToken);

    private async Task<System.Text.Json.Nodes.JsonNode> GetAsync(long lotteryId) =>
        await (await fixture.Interact.GetAsync($"/api/lotteries/{lotteryId}")).ReadJsonAsync();

    [Fact]
    public async Task Viewers_join_once_the_owner_draws_once_even_when_asked_twenty_times_on_two_instances_and_the_room_sees_it()
    {
        var owner = await fixture.NewUserAsync();
        var roomId = await fixture.CreateRoomAsync(owner);
        await using var viewer = await ChatClient.ConnectAsync(fixture.UrlB, roomId);
        var lotteryId = await CreateAsync(owner, roomId, winners: 2);
        Assert.Equal("open", (await viewer.NextAsync("lottery"))["status"]!.GetValue<string>());
        var entrants = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => fixture.NewUserAsync()));

        foreach (var entrant in entrants) Assert.Equal(HttpStatusCode.Created, (await JoinAsync(entrant, lotteryId)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await JoinAsync(entrants[0], lotteryId, fixture.InteractOnB)).StatusCode);
        await (await JoinAsync(entrants[0], 424242)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await fixture.Interact.SendAsync(HttpMethod.Post, $"/api/lotteries/{lotteryId}/draw", entrants[0].AccessToken))
            .AssertProblemAsync(HttpStatusCode.Forbidden);

        var draws = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            (i % 2 == 0 ? fixture.Interact : fixture.InteractOnB).SendAsync(HttpMethod.Post, $"/api/lotteries/{lotteryId}/draw", owner.AccessToken)));
        Assert.All(draws, d => Assert.Equal(HttpStatusCode.OK, d.StatusCode));
        var bodies = await Task.WhenAll(draws.Select(d => d.ReadJsonAsync()));
        var winners = bodies.Select(b => string.Join(",", b["winners"]!.AsArray().Select(w => w!["userId"]!.GetValue<long>()))).Distinct().ToList();
        Assert.Single(winners);

        var lottery = await GetAsync(lotteryId);
        Assert.Equal("drawn", lottery["status"]!.GetValue<string>());
        Assert.Equal(5, lottery["entrants"]!.GetValue<int>());
        Assert.Equal(2, lottery["winners"]!.AsArray().Count);
        Assert.All(lottery["winners"]!.AsArray(), w => Assert.Contains(entrants, e => e.Id == w!["userId"]!.GetValue<long>()));
        var pushed = await viewer.NextAsync("lottery", d => d["status"]!.GetValue<string>() == "drawn");
        Assert.Equal(winners[0], string.Join(",", pushed["winners"]!.AsArray().Select(w => w!["userId"]!.GetValue<long>()).Order()));
        Assert.DoesNotContain(await viewer.DrainAsync(TimeSpan.FromMilliseconds(500)), m => m.Type == "lottery");

        var late = await (await JoinAsync(await fixture.NewUserAsync(), lotteryId)).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.EndsWith("/lottery-closed", late["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task At_its_closing_time_a_lottery_with_fewer_entrants_than_prizes_gives_everyone_a_prize()
    {
        var owner = await fixture.NewUserAsync();
        var roomId = await fixture.CreateRoomAsync(owner);
        var lotteryId = await CreateAsync(owner, roomId, winners: 5, closesIn: TimeSpan.FromSeconds(2));
        var entrants = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => fixture.NewUserAsync()));
        foreach (var entrant in entrants) Assert.Equal(HttpStatusCode.Created, (await JoinAsync(entrant, lotteryId)).StatusCode);

        await ApiClient.EventuallyAsync(async () => (await GetAsync(lotteryId))["status"]!.GetValue<string>() == "drawn", "the drawer");

        var winners = (await GetAsync(lotteryId))["winners"]!.AsArray().Select(w => w!["userId"]!.GetValue<long>());
        Assert.Equal(entrants.Select(e => e.Id).Order(), winners);
    }

    [Fact]
    public async Task Typing_the_keyword_as_danmaku_joins_a_keyword_lottery()
    {
        var owner = await fixture.NewUserAsync();
        var roomId = await fixture.CreateRoomAsync(owner);
        var lotteryId = await CreateAsync(owner, roomId, winners: 1, joinMode: "keyword", keyword: "LiveMicro rocks");
        var fan = await fixture.NewUserAsync();
        await using var client = await ChatClient.ConnectAsync(fixture.UrlA, roomId, fan.AccessToken);

        await client.RequestAsync("danmaku", new { text = "not the keyword" });
        await client.RequestAsync("danmaku", new { text = "livemicro ROCKS" });

        await ApiClient.EventuallyAsync(async () => (await GetAsync(lotteryId))["entrants"]!.GetValue<int>() == 1, "the keyword entry");
    }

    [Fact]
    public async Task A_followers_only_lottery_asks_the_user_service_who_follows_the_owner()
    {
        var owner = await fixture.NewUserAsync();
        var roomId = await fixture.CreateRoomAsync(owner);
        var lotteryId = await CreateAsync(owner, roomId, winners: 1, followersOnly: true);
        var fan = await fixture.NewUserAsync();
        var stranger = await fixture.NewUserAsync();
        foreach (var user in new[] { owner, fan, stranger })
        {
            Assert.Equal(HttpStatusCode.OK, (await fixture.Users.SendAsync(HttpMethod.Get, "/api/users/me", user.AccessToken)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await fixture.Users.SendAsync(HttpMethod.Put, $"/api/users/{owner.Id}/follow", fan.AccessToken)).StatusCode);

        Assert.Equal(HttpStatusCode.Created, (await JoinAsync(fan, lotteryId)).StatusCode);
        var refused = await (await JoinAsync(stranger, lotteryId)).AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.EndsWith("/followers-only", refused["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Only_the_room_owner_creates_lotteries_and_bad_ones_are_400()
    {
        var owner = await fixture.NewUserAsync();
        var roomId = await fixture.CreateRoomAsync(owner);
        var other = await fixture.NewUserAsync();

        var notOwner = await fixture.Interact.SendAsync(HttpMethod.Post, $"/api/rooms/{roomId}/lotteries", other.AccessToken,
            new { prize = "x", winnerCount = 1, joinMode = "button", closesAt = DateTimeOffset.UtcNow.AddMinutes(1) });
        await notOwner.AssertProblemAsync(HttpStatusCode.Forbidden);
        var past = await fixture.Interact.SendAsync(HttpMethod.Post, $"/api/rooms/{roomId}/lotteries", owner.AccessToken,
            new { prize = "x", winnerCount = 1, joinMode = "button", closesAt = DateTimeOffset.UtcNow.AddMinutes(-1) });
        Assert.NotNull((await past.AssertProblemAsync(HttpStatusCode.BadRequest))["errors"]!["closesAt"]);
        var noKeyword = await fixture.Interact.SendAsync(HttpMethod.Post, $"/api/rooms/{roomId}/lotteries", owner.AccessToken,
            new { prize = "x", winnerCount = 1, joinMode = "keyword", closesAt = DateTimeOffset.UtcNow.AddMinutes(1) });
        Assert.NotNull((await noKeyword.AssertProblemAsync(HttpStatusCode.BadRequest))["errors"]!["keyword"]);
    }

    [Fact]
    public void Winners_are_drawn_uniformly()
    {
        // 3 of 6 entrants, 60,000 draws: each entrant should win about half the time
        var wins = new int[6];
        for (var i = 0; i < 60_000; i++)
        {
            foreach (var winner in LotteryService.PickWinners([0, 1, 2, 3, 4, 5], 3)) wins[winner]++;
        }

        Assert.All(wins, w => Assert.InRange(w, 29_000, 31_000));
    }
}
