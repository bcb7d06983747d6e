extern alias auth;
using System.Net;
using System.Security.Cryptography;
using LiveMicro.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LiveMicro.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class AuthenticationTests(GatewayFixture fixture)
{
    [Fact]
    public async Task An_authenticated_route_refuses_a_request_without_a_token_at_the_edge()
    {
        await (await fixture.Gateway.GetAsync("/api/users/me")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_valid_token_passes_and_the_service_still_gets_the_authorization_header()
    {
        var user = await fixture.Auth.RegisterAndLoginAsync();

        var response = await fixture.Gateway.SendAsync(HttpMethod.Get, "/api/users/me", user.AccessToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await response.ReadJsonAsync();
        Assert.Equal("user", echo["service"]!.GetValue<string>());
        Assert.Equal($"Bearer {user.AccessToken}", echo["headers"]!["Authorization"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_forged_token_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "livemicro",
            Audience = "livemicro",
            Expires = DateTime.UtcNow.AddMinutes(10),
            Claims = new Dictionary<string, object> { ["sub"] = "1", ["jti"] = Guid.NewGuid().ToString("N") },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = "forged" }, SecurityAlgorithms.EcdsaSha256),
        });

        await (await fixture.Gateway.SendAsync(HttpMethod.Get, "/api/users/me", forged)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        // the same auth database (so the same signing key) with a clock 20 minutes behind: its tokens are expired
        await using var pastAuth = new ServiceApp<auth::Program>(fixture.AuthSettings, services =>
            services.Replace(ServiceDescriptor.Singleton<TimeProvider>(new ShiftedTimeProvider(TimeSpan.FromMinutes(-20)))));
        var user = await pastAuth.CreateClient().RegisterAndLoginAsync();

        await (await fixture.Gateway.SendAsync(HttpMethod.Get, "/api/users/me", user.AccessToken)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_token_revoked_by_logout_is_refused_at_once()
    {
        var user = await fixture.Auth.RegisterAndLoginAsync();
        Assert.Equal(HttpStatusCode.OK, (await fixture.Gateway.SendAsync(HttpMethod.Get, "/api/users/me", user.AccessToken)).StatusCode);

        Assert.True((await fixture.Auth.SendAsync(HttpMethod.Post, "/api/auth/logout", user.AccessToken)).IsSuccessStatusCode);

        await (await fixture.Gateway.SendAsync(HttpMethod.Get, "/api/users/me", user.AccessToken)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Anonymous_routes_pass_without_a_token()
    {
        Assert.Equal("user", await fixture.ServiceBehindAsync("/api/users/5"));
    }
}
