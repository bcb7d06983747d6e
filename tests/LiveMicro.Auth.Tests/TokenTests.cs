using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using LiveMicro.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LiveMicro.Auth.Tests;

[Collection(AuthCollection.Name)]
public sealed class TokenTests(AuthFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    private Task<HttpResponseMessage> VerifyAsync(string token, HttpClient? client = null) =>
        (client ?? _client).SendAsync(HttpMethod.Get, "/api/auth/verify", token);

    [Fact]
    public async Task Login_returns_an_es256_access_token_of_15_minutes_that_verify_accepts()
    {
        var user = await _client.RegisterAndLoginAsync(displayName: "Li Si");

        var token = new JsonWebToken(user.AccessToken);
        Assert.Equal("ES256", token.Alg);
        Assert.Equal(user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), token.Subject);
        Assert.Equal("Li Si", token.GetClaim("name").Value);
        Assert.False(string.IsNullOrEmpty(token.Id));
        Assert.InRange((token.ValidTo - token.ValidFrom).TotalMinutes, 14.9, 15.1);

        var verify = await VerifyAsync(user.AccessToken);
        Assert.Equal(HttpStatusCode.OK, verify.StatusCode);
        var claims = await verify.ReadJsonAsync();
        Assert.Equal(user.Id, claims["userId"]!.GetValue<long>());
        Assert.Equal(token.Id, claims["tokenId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_wrong_password_returns_401_problem()
    {
        var user = await _client.RegisterAndLoginAsync();

        var response = await _client.PostAsJsonAsync("/api/auth/login", new { username = user.Username, password = "wrong password" });

        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.EndsWith("/invalid-credentials", problem["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Five_failed_logins_within_a_minute_answer_429_with_retry_after_even_for_the_right_password()
    {
        var user = await _client.RegisterAndLoginAsync();
        for (var i = 0; i < 5; i++)
        {
            var failed = await _client.PostAsJsonAsync("/api/auth/login", new { username = user.Username, password = "wrong password" });
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        var locked = await _client.PostAsJsonAsync("/api/auth/login", new { username = user.Username, password = "correct horse battery" });

        await locked.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        var retryAfter = locked.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 60);
    }

    [Fact]
    public async Task Refresh_rotates_the_refresh_token_and_issues_a_new_access_token()
    {
        var user = await _client.RegisterAndLoginAsync();

        var response = await _client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = user.RefreshToken });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        var newRefresh = body["refreshToken"]!.GetValue<string>();
        Assert.NotEqual(user.RefreshToken, newRefresh);
        Assert.Equal(HttpStatusCode.OK, (await VerifyAsync(body["accessToken"]!.GetValue<string>())).StatusCode);
    }

    [Fact]
    public async Task Reusing_a_rotated_refresh_token_revokes_the_whole_family()
    {
        var user = await _client.RegisterAndLoginAsync();
        var rotated = await (await _client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = user.RefreshToken })).ReadJsonAsync();
        var successor = rotated["refreshToken"]!.GetValue<string>();

        var replay = await _client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = user.RefreshToken });
        var problem = await replay.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.EndsWith("/refresh-token-reused", problem["type"]!.GetValue<string>());

        // the legitimate successor is gone too: the thief and the owner both have to sign in again
        var successorResponse = await _client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = successor });
        await successorResponse.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Concurrent_refreshes_with_one_token_succeed_at_most_once()
    {
        var user = await _client.RegisterAndLoginAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            _client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = user.RefreshToken })));

        Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.OK) <= 1);
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Unauthorized }));
    }

    [Fact]
    public async Task An_unknown_refresh_token_returns_401()
    {
        var response = await _client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = "not-a-token" });

        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.EndsWith("/refresh-token-invalid", problem["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Logout_revokes_the_access_token_at_once_and_the_refresh_family()
    {
        var user = await _client.RegisterAndLoginAsync();

        var logout = await _client.SendAsync(HttpMethod.Post, "/api/auth/logout", user.AccessToken);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);

        await (await VerifyAsync(user.AccessToken)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var refresh = await _client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = user.RefreshToken });
        await refresh.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Verify_without_a_token_returns_401_problem()
    {
        var response = await _client.GetAsync("/api/auth/verify");

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_expired_access_token_is_refused()
    {
        await using var past = fixture.CreateApp(services =>
            services.Replace(ServiceDescriptor.Singleton<TimeProvider>(new ShiftedTimeProvider(TimeSpan.FromMinutes(-20)))));
        var user = await past.CreateClient().RegisterAndLoginAsync();

        await (await VerifyAsync(user.AccessToken)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_refused()
    {
        var user = await _client.RegisterAndLoginAsync();
        var genuine = new JsonWebToken(user.AccessToken);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = genuine.Issuer,
            Audience = genuine.Audiences.Single(),
            Expires = DateTime.UtcNow.AddMinutes(10),
            Claims = genuine.Claims.Where(c => c.Type is "sub" or "name" or "jti" or "sid")
                .ToDictionary(c => c.Type, c => (object)c.Value),
            // the genuine key id: only the signature gives the forgery away
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(otherKey) { KeyId = genuine.Kid }, SecurityAlgorithms.EcdsaSha256),
        });

        await (await VerifyAsync(forged)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_unsigned_alg_none_token_is_refused()
    {
        var user = await _client.RegisterAndLoginAsync();
        var genuine = user.AccessToken.Split('.');
        var header = Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes("{\"alg\":\"none\",\"typ\":\"JWT\"}"));

        await (await VerifyAsync($"{header}.{genuine[1]}.")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_jwks_publishes_the_signing_key_and_a_restart_keeps_it()
    {
        var user = await _client.RegisterAndLoginAsync();
        var kid = new JsonWebToken(user.AccessToken).Kid;

        var jwks = await (await _client.GetAsync("/.well-known/jwks.json")).ReadJsonAsync();
        var key = jwks["keys"]!.AsArray().Single(k => k!["kid"]!.GetValue<string>() == kid)!;
        Assert.Equal("EC", key["kty"]!.GetValue<string>());
        Assert.Equal("P-256", key["crv"]!.GetValue<string>());
        Assert.Null(key["d"]);

        await using var restarted = fixture.CreateApp();
        var verify = await VerifyAsync(user.AccessToken, restarted.CreateClient());
        Assert.Equal(HttpStatusCode.OK, verify.StatusCode);
    }
}
