using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace LiveMicro.Testing;

public sealed record SignedInUser(long Id, string Username, string AccessToken, string RefreshToken);

/// <summary>What tests do through the public HTTP APIs again and again: register, sign in, read problems.</summary>
public static class ApiClient
{
    private static int _sequence;

    /// <summary>A username no other test of this run uses.</summary>
    public static string UniqueName(string prefix = "user") =>
        $"{prefix}_{Environment.ProcessId % 10000}_{Interlocked.Increment(ref _sequence)}";

    public static async Task<SignedInUser> RegisterAndLoginAsync(this HttpClient auth, string? username = null,
        string password = "correct horse battery", string? displayName = null)
    {
        username ??= UniqueName();
        var register = await auth.PostAsJsonAsync("/api/auth/register",
            new { username, displayName = displayName ?? $"Name of {username}", password });
        Assert.Equal(HttpStatusCode.Created, register.StatusCode);
        return await auth.LoginAsync(username, password);
    }

    public static async Task<SignedInUser> LoginAsync(this HttpClient auth, string username, string password)
    {
        var login = await auth.PostAsJsonAsync("/api/auth/login", new { username, password });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var body = await login.ReadJsonAsync();
        return new SignedInUser(body["userId"]!.GetValue<long>(), username, body["accessToken"]!.GetValue<string>(),
            body["refreshToken"]!.GetValue<string>());
    }

    public static HttpRequestMessage WithBearer(this HttpRequestMessage request, string token)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    public static Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string url,
        string? token = null, object? body = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (token is not null) request.WithBearer(token);
        if (body is not null) request.Content = JsonContent.Create(body);
        return client.SendAsync(request);
    }

    public static async Task<JsonNode> ReadJsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text) ?? throw new JsonException($"empty body ({(int)response.StatusCode})");
    }

    /// <summary>Asserts an RFC 9457 problem with the given status and answers its body.</summary>
    public static async Task<JsonNode> AssertProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        return problem;
    }

    /// <summary>Polls until <paramref name="condition"/> holds: for effects that travel over the event bus.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for: {what}");
            await Task.Delay(50);
        }
    }
}
