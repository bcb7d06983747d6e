using System.Net;
using LiveMicro.Testing;

namespace LiveMicro.User.Tests;

[Collection(UserCollection.Name)]
public sealed class FollowTests(UserFixture fixture)
{
    private Task<HttpResponseMessage> FollowAsync(SignedInUser follower, long followeeId) =>
        fixture.Users.SendAsync(HttpMethod.Put, $"/api/users/{followeeId}/follow", follower.AccessToken);

    private Task<HttpResponseMessage> UnfollowAsync(SignedInUser follower, long followeeId) =>
        fixture.Users.SendAsync(HttpMethod.Delete, $"/api/users/{followeeId}/follow", follower.AccessToken);

    private async Task<SignedInUser> NewUserWithProfileAsync()
    {
        var user = await fixture.Auth.RegisterAndLoginAsync();
        Assert.Equal(HttpStatusCode.OK, (await fixture.Users.SendAsync(HttpMethod.Get, "/api/users/me", user.AccessToken)).StatusCode);
        return user;
    }

    private async Task<(long Followers, long Following)> CountsAsync(long userId)
    {
        var profile = await (await fixture.Users.GetAsync($"/api/users/{userId}")).ReadJsonAsync();
        return (profile["followerCount"]!.GetValue<long>(), profile["followingCount"]!.GetValue<long>());
    }

    [Fact]
    public async Task Fifty_concurrent_follows_and_repeats_leave_exact_counts()
    {
        var anchor = await NewUserWithProfileAsync();
        var fans = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => NewUserWithProfileAsync()));

        // every fan follows twice at once: the second is a no-op, never a second count
        var follows = await Task.WhenAll(fans.Concat(fans).Select(fan => FollowAsync(fan, anchor.Id)));
        Assert.All(follows, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal((50L, 0L), await CountsAsync(anchor.Id));
        Assert.Equal((0L, 1L), await CountsAsync(fans[0].Id));

        var leavers = fans.Take(20).ToArray();
        var unfollows = await Task.WhenAll(leavers.Concat(leavers).Select(fan => UnfollowAsync(fan, anchor.Id)));
        Assert.All(unfollows, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal((30L, 0L), await CountsAsync(anchor.Id));
        Assert.Equal((0L, 0L), await CountsAsync(leavers[0].Id));
    }

    [Fact]
    public async Task Two_users_following_each_other_at_once_both_succeed()
    {
        var a = await NewUserWithProfileAsync();
        var b = await NewUserWithProfileAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => i % 2 == 0 ? FollowAsync(a, b.Id) : FollowAsync(b, a.Id)));

        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal((1L, 1L), await CountsAsync(a.Id));
        Assert.Equal((1L, 1L), await CountsAsync(b.Id));
    }

    [Fact]
    public async Task Following_is_idempotent_and_answers_the_follower_count()
    {
        var anchor = await NewUserWithProfileAsync();
        var fan = await NewUserWithProfileAsync();

        await FollowAsync(fan, anchor.Id);
        var again = await (await FollowAsync(fan, anchor.Id)).ReadJsonAsync();

        Assert.True(again["following"]!.GetValue<bool>());
        Assert.Equal(1, again["followerCount"]!.GetValue<long>());
        var seen = await (await fixture.Users.SendAsync(HttpMethod.Get, $"/api/users/{anchor.Id}", fan.AccessToken)).ReadJsonAsync();
        Assert.True(seen["followedByMe"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Following_yourself_returns_400()
    {
        var user = await NewUserWithProfileAsync();

        var problem = await (await FollowAsync(user, user.Id)).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.EndsWith("/cannot-follow-self", problem["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Following_an_unknown_user_returns_404()
    {
        var user = await NewUserWithProfileAsync();

        await (await FollowAsync(user, 424242424242)).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Following_without_a_token_returns_401()
    {
        var response = await fixture.Users.PutAsync("/api/users/1/follow", null);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Followers_are_listed_newest_first_in_keyset_pages()
    {
        var anchor = await NewUserWithProfileAsync();
        var fans = new List<SignedInUser>();
        for (var i = 0; i < 5; i++)
        {
            var fan = await NewUserWithProfileAsync();
            await FollowAsync(fan, anchor.Id);
            fans.Add(fan);
        }

        var seen = new List<long>();
        string url = $"/api/users/{anchor.Id}/followers?limit=2";
        while (true)
        {
            var page = await (await fixture.Users.GetAsync(url)).ReadJsonAsync();
            seen.AddRange(page["items"]!.AsArray().Select(item => item!["userId"]!.GetValue<long>()));
            if (page["next"] is not { } next) break;
            url = $"/api/users/{anchor.Id}/followers?limit=2&after={next.GetValue<long>()}";
        }

        Assert.Equal(fans.Select(f => f.Id).Reverse(), seen);
        var following = await (await fixture.Users.GetAsync($"/api/users/{fans[0].Id}/following")).ReadJsonAsync();
        Assert.Equal(anchor.Id, following["items"]![0]!["userId"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=abc")]
    public async Task A_bad_page_limit_returns_400(string query)
    {
        var anchor = await NewUserWithProfileAsync();

        await (await fixture.Users.GetAsync($"/api/users/{anchor.Id}/followers?{query}")).AssertProblemAsync(HttpStatusCode.BadRequest);
    }
}
