using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LiveMicro.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using StackExchange.Redis;

namespace LiveMicro.User.Tests;

[Collection(UserCollection.Name)]
public sealed class EventTests(UserFixture fixture)
{
    /// <summary>The bodies of the entries on an event type's stream, read the way any consumer would.</summary>
    private async Task<List<JsonNode>> StreamBodiesAsync(string eventType)
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.RedisConnectionString);
        var entries = (RedisResult[])(await redis.GetDatabase().ExecuteAsync("XRANGE", $"livemicro:events:{eventType}", "-", "+"))!;
        return entries.Select(entry =>
        {
            var fields = (RedisResult[])((RedisResult[])entry!)[1]!;
            var body = Enumerable.Range(0, fields.Length / 2).First(i => (string?)fields[2 * i] == "body");
            return JsonNode.Parse((string)fields[2 * body + 1]!)!;
        }).ToList();
    }

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
        await ApiClient.EventuallyAsync(async () => (await StreamBodiesAsync("UserFollowed")).Any(b => Announces(b, 1)),
            "UserFollowed on its stream");
        await ApiClient.EventuallyAsync(async () => (await StreamBodiesAsync("UserUnfollowed")).Any(b => Announces(b, 0)),
            "UserUnfollowed on its stream");
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
