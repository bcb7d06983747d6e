using System.Net;
using System.Net.Http.Json;
using LiveMicro.Testing;

namespace LiveMicro.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class RateLimitTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Logins_past_the_limit_get_429_with_Retry_After_per_client_address_while_a_signed_in_user_counts_alone()
    {
        // a gateway of its own, so other tests' requests from 127.0.0.1 do not share the window
        var (app, url) = fixture.StartGateway(new Dictionary<string, string?>());
        await using var _ = app;
        using var gateway = new HttpClient { BaseAddress = url };
        await ApiClient.EventuallyAsync(async () => await fixture.ServiceBehindAsync("/api/users/1", gateway) == "user", "discovery");

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await gateway.PostAsJsonAsync("/api/auth/login", new { username = "u", password = "p" })).StatusCode);
        }

        var refused = await gateway.PostAsJsonAsync("/api/auth/login", new { username = "u", password = "p" });
        var problem = await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.EndsWith("/rate-limited", problem["type"]!.GetValue<string>());
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After");

        var user = await fixture.Auth.RegisterAndLoginAsync();
        var signedIn = await gateway.SendAsync(HttpMethod.Post, "/api/auth/login", user.AccessToken, new { username = "u", password = "p" });
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);

        // other routes have policies of their own
        Assert.Equal("user", await fixture.ServiceBehindAsync("/api/users/1", gateway));
    }
}
