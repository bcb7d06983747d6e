using LiveMicro.Rank.Boards;
using LiveMicro.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LiveMicro.Rank.Tests;

[Collection(RankCollection.Name)]
public sealed class FollowersBoardTests(RankFixture fixture)
{
    private Task<List<(long UserId, string? Name, long Score)>> FollowersBoardAsync() => fixture.BoardAsync("/api/ranks/anchors/followers?top=100");

    [Fact]
    public async Task Follows_through_the_user_service_rank_the_anchor_and_the_last_unfollow_takes_it_off()
    {
        var anchor = await fixture.Auth.RegisterAndLoginAsync(displayName: "Followed Fay");
        var fans = new[] { await fixture.Auth.RegisterAndLoginAsync(), await fixture.Auth.RegisterAndLoginAsync() };
        await fixture.Users.SendAsync(HttpMethod.Get, "/api/users/me", anchor.AccessToken);

        foreach (var fan in fans) await fixture.Users.SendAsync(HttpMethod.Put, $"/api/users/{anchor.Id}/follow", fan.AccessToken);
        await ApiClient.EventuallyAsync(async () => (await FollowersBoardAsync()).Contains((anchor.Id, "Followed Fay", 2L)), "two followers");

        foreach (var fan in fans) await fixture.Users.SendAsync(HttpMethod.Delete, $"/api/users/{anchor.Id}/follow", fan.AccessToken);
        await ApiClient.EventuallyAsync(async () => (await FollowersBoardAsync()).All(e => e.UserId != anchor.Id), "the anchor off the board");
    }

    [Fact]
    public async Task A_count_older_than_the_one_applied_changes_nothing()
    {
        var boards = fixture.RankApp.Services.GetRequiredService<Leaderboards>();
        var userId = Random.Shared.NextInt64(1, long.MaxValue);
        var now = DateTimeOffset.UtcNow;

        Assert.True(await boards.SetFollowersAsync(userId, 5, now));
        Assert.False(await boards.SetFollowersAsync(userId, 4, now.AddSeconds(-1)));
        Assert.Contains((userId, (string?)null, 5L), await FollowersBoardAsync());

        Assert.True(await boards.SetFollowersAsync(userId, 6, now.AddSeconds(1)));
        Assert.Contains((userId, (string?)null, 6L), await FollowersBoardAsync());
    }
}
