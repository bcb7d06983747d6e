using System.Net;
using LiveMicro.Testing;

namespace LiveMicro.User.Tests;

[Collection(UserCollection.Name)]
public sealed class ProfileTests(UserFixture fixture)
{
    [Fact]
    public async Task A_registered_user_gets_a_profile_from_the_UserRegistered_event()
    {
        var user = await fixture.Auth.RegisterAndLoginAsync(displayName: "Zhang San");

        HttpResponseMessage? response = null;
        await ApiClient.EventuallyAsync(async () =>
        {
            response = await fixture.Users.GetAsync($"/api/users/{user.Id}");
            return response.StatusCode == HttpStatusCode.OK;
        }, "the profile created from UserRegistered");

        var profile = await response!.ReadJsonAsync();
        Assert.Equal(user.Username, profile["username"]!.GetValue<string>());
        Assert.Equal("Zhang San", profile["displayName"]!.GetValue<string>());
        Assert.Equal(0, profile["followerCount"]!.GetValue<long>());
    }

    [Fact]
    public async Task Me_returns_the_signed_in_users_profile_with_counts()
    {
        var user = await fixture.Auth.RegisterAndLoginAsync(displayName: "Li Si");

        var response = await fixture.Users.SendAsync(HttpMethod.Get, "/api/users/me", user.AccessToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var me = await response.ReadJsonAsync();
        Assert.Equal(user.Id, me["id"]!.GetValue<long>());
        Assert.Equal("Li Si", me["displayName"]!.GetValue<string>());
        Assert.Equal(0, me["followingCount"]!.GetValue<long>());
    }

    [Fact]
    public async Task Me_without_a_token_returns_401()
    {
        await (await fixture.Users.GetAsync("/api/users/me")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Patching_me_changes_only_the_given_fields()
    {
        var user = await fixture.Auth.RegisterAndLoginAsync(displayName: "Before");

        var response = await fixture.Users.SendAsync(HttpMethod.Patch, "/api/users/me", user.AccessToken,
            new { bio = "I stream chess.", avatarUrl = "https://cdn.example/a.png" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var profile = await (await fixture.Users.GetAsync($"/api/users/{user.Id}")).ReadJsonAsync();
        Assert.Equal("Before", profile["displayName"]!.GetValue<string>());
        Assert.Equal("I stream chess.", profile["bio"]!.GetValue<string>());
        Assert.Equal("https://cdn.example/a.png", profile["avatarUrl"]!.GetValue<string>());
    }

    [Fact]
    public async Task Patching_me_with_invalid_fields_returns_400_naming_them_and_changes_nothing()
    {
        var user = await fixture.Auth.RegisterAndLoginAsync(displayName: "Unchanged");

        var response = await fixture.Users.SendAsync(HttpMethod.Patch, "/api/users/me", user.AccessToken,
            new { displayName = "   ", avatarUrl = "javascript:alert(1)", bio = new string('b', 281) });

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.Count >= 2, errors.ToJsonString());
        var me = await (await fixture.Users.SendAsync(HttpMethod.Get, "/api/users/me", user.AccessToken)).ReadJsonAsync();
        Assert.Equal("Unchanged", me["displayName"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_unknown_user_returns_404_problem()
    {
        var problem = await (await fixture.Users.GetAsync("/api/users/987654321")).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.EndsWith("/user-not-found", problem["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_token_revoked_by_logout_is_refused_by_the_user_service_too()
    {
        var user = await fixture.Auth.RegisterAndLoginAsync();
        Assert.Equal(HttpStatusCode.OK, (await fixture.Users.SendAsync(HttpMethod.Get, "/api/users/me", user.AccessToken)).StatusCode);

        await fixture.Auth.SendAsync(HttpMethod.Post, "/api/auth/logout", user.AccessToken);

        await (await fixture.Users.SendAsync(HttpMethod.Get, "/api/users/me", user.AccessToken)).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_service_refuses_to_start_without_a_jwks_url()
    {
        var settings = new Dictionary<string, string?>(fixture.UserSettings) { ["Jwt:JwksUrl"] = "" };
        await using var app = fixture.CreateUserApp(settings);

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.Contains("Jwt:JwksUrl", error.ToString());
    }
}
