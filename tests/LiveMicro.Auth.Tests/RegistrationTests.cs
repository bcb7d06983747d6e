using System.Net;
using System.Net.Http.Json;
using System.Text;
using LiveMicro.Testing;

namespace LiveMicro.Auth.Tests;

[Collection(AuthCollection.Name)]
public sealed class RegistrationTests(AuthFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Registering_returns_201_with_the_new_account()
    {
        var username = ApiClient.UniqueName("reg");
        var response = await _client.PostAsJsonAsync("/api/auth/register",
            new { username, displayName = "  Zhang San  ", password = "12345678" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal(username, body["username"]!.GetValue<string>());
        Assert.Equal("Zhang San", body["displayName"]!.GetValue<string>());
        Assert.True(body["id"]!.GetValue<long>() > 0);
        Assert.Equal($"/api/users/{body["id"]}", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Registering_a_taken_name_in_any_case_returns_409()
    {
        var username = ApiClient.UniqueName("taken");
        await _client.RegisterAndLoginAsync(username);

        var again = await _client.PostAsJsonAsync("/api/auth/register",
            new { username = username.ToUpperInvariant(), displayName = "Other", password = "another password" });

        var problem = await again.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.EndsWith("/username-taken", problem["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Registering_with_bad_fields_returns_400_naming_each_field()
    {
        var response = await _client.PostAsJsonAsync("/api/auth/register",
            new { username = "a b", displayName = new string('x', 41), password = "short" });

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsObject();
        Assert.Contains(errors, e => e.Key.Equals("username", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(errors, e => e.Key.Equals("displayName", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(errors, e => e.Key.Equals("password", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("name-with-dash")]
    [InlineData("a_name_that_is_longer_than_32_chars")]
    public async Task Usernames_outside_3_to_32_word_characters_are_refused(string username)
    {
        var response = await _client.PostAsJsonAsync("/api/auth/register",
            new { username, displayName = "Someone", password = "12345678" });

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains(problem["errors"]!.AsObject(), e => e.Key.Equals("username", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_display_name_of_control_characters_is_refused()
    {
        var response = await _client.PostAsJsonAsync("/api/auth/register",
            new { username = ApiClient.UniqueName("ctl"), displayName = "bad\u0007name", password = "12345678" });

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["displayName"]);
    }

    [Fact]
    public async Task Malformed_json_returns_400_problem_that_says_why()
    {
        using var content = new StringContent("{\"username\": \"abc\", ", Encoding.UTF8, "application/json");
        var response = await _client.PostAsync("/api/auth/register", content);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("JSON", problem["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Readiness_reports_postgres_and_redis()
    {
        var response = await _client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var checks = (await response.ReadJsonAsync())["checks"]!.AsObject();
        Assert.Equal("Healthy", checks["postgres:AuthDb"]!["status"]!.GetValue<string>());
        Assert.Equal("Healthy", checks["redis"]!["status"]!.GetValue<string>());
    }
}
