using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LiveMicro.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace LiveMicro.User.Tests;

[Collection(UserCollection.Name)]
public sealed class EventTests(UserFixture fixture)
{
    [Fact]
    public async Task Follow_and_unfollow_publish_events_with_the_new_follower_count()
    {
        var anchor = await fixture.Auth.RegisterAndLoginAsync();
        var fan = await fixture.Auth.RegisterAndLoginAsync();
        await fixture.Users.SendAsync(HttpMethod.Get, "/api/users/me", anchor.AccessToken);

        await fixture.Users.SendAsync(HttpMethod.Put, $"/api/users/{anchor.Id}/follow", fan.AccessToken);
        await fixture.Users.SendAsync(HttpMethod.Delete, $"/api/users/{anchor.Id}/follow", fan.AccessToken);

        bool Announces(JsonNode body, long count) =>
            body["followerId"]!.GetValue<long>() == fan.Id && body["followeeId"]!.GetValue<long>() == anchor.Id &&
            body["followeeFollowerCount"]!.GetValue<long>() == count;
        await StreamAssert.EventuallyOnStreamAsync(fixture.RedisConnectionString, "UserFollowed", b => Announces(b, 1));
        await StreamAssert.EventuallyOnStreamAsync(fixture.RedisConnectionString, "UserUnfollowed", b => Announces(b, 0));
    }

    [Fact]
    public async Task A_new_display_name_reaches_the_next_access_token()
    {
        var user = await fixture.Auth.RegisterAndLoginAsync(displayName: "Old Name");

        var patch = await fixture.Users.SendAsync(HttpMethod.Patch, "/api/users/me", user.AccessToken, new { displayName = "New Name" });
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);

        var refreshToken = user.RefreshToken;
        await ApiClient.EventuallyAsync(async () =>
        {
            var refreshed = await (await fixture.Auth.PostAsJsonAsync("/api/auth/refresh", new { refreshToken })).ReadJsonAsync();
            refreshToken = refreshed["refreshToken"]!.GetValue<string>();
            return new JsonWebToken(refreshed["accessToken"]!.GetValue<string>()).GetClaim("name").Value == "New Name";
        }, "a refreshed token named 'New Name'");
    }
}
