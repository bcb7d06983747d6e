using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace LiveMicro.Bench.Chat;

public sealed record SignedInUser(long UserId, string Username, string AccessToken);

public sealed record CatalogueGift(long Id, string Name, long Price, string Level);

/// <param name="Status">The HTTP status code.</param>
/// <param name="TransactionId">The gift transaction of a 2xx answer.</param>
/// <param name="Replayed">The answer carried <c>Idempotent-Replayed: true</c>.</param>
/// <param name="ElapsedTicks">From just before the request was sent until its answer was read (Stopwatch ticks).</param>
public sealed record GiftAnswer(int Status, long? TransactionId, long TotalCoins, bool Replayed, long SentAt, long ElapsedTicks)
{
    public bool Succeeded => Status is >= 200 and < 300;
}

/// <summary>The public HTTP APIs the gift benchmarks use, called as a client would: auth's register and login,
/// interact's catalogue, top-ups and gifts.</summary>
public sealed class LiveMicroApi(HttpClient http, Uri auth, Uri interact)
{
    public const string Password = "bench-password-1";

    /// <summary>Registers the user (an existing one is fine) and signs in.</summary>
    public async Task<SignedInUser> SignUpAsync(string username)
    {
        using (var registered = await http.PostAsJsonAsync(new Uri(auth, "/api/auth/register"),
                   new { username, displayName = username, password = Password }))
        {
            if (registered.StatusCode != HttpStatusCode.Conflict) await EnsureAsync(registered, "register " + username);
        }

        using var login = await http.PostAsJsonAsync(new Uri(auth, "/api/auth/login"), new { username, password = Password });
        await EnsureAsync(login, "login " + username);
        var token = await login.Content.ReadFromJsonAsync<TokenAnswer>() ?? throw new InvalidOperationException("empty login answer");
        return new SignedInUser(token.UserId, username, token.AccessToken);
    }

    public async Task<IReadOnlyList<CatalogueGift>> GetGiftsAsync() =>
        await http.GetFromJsonAsync<List<CatalogueGift>>(new Uri(interact, "/api/gifts"))
        ?? throw new InvalidOperationException("empty catalogue");

    /// <summary>Buys coins through the development payment provider; answers the balance after it.</summary>
    public async Task<long> TopUpAsync(SignedInUser user, long amount, string idempotencyKey)
    {
        using var request = Authorized(HttpMethod.Post, new Uri(interact, "/api/wallet/top-ups"), user);
        request.Content = JsonContent.Create(new { amount, idempotencyKey });
        using var response = await http.SendAsync(request);
        await EnsureAsync(response, $"top-up {amount} for {user.Username}");
        return (await response.Content.ReadFromJsonAsync<TopUpAnswer>())!.Balance;
    }

    public async Task<GiftAnswer> SendGiftAsync(SignedInUser user, long roomId, long giftId, int count, string idempotencyKey)
    {
        using var request = Authorized(HttpMethod.Post, new Uri(interact, $"/api/rooms/{roomId}/gifts"), user);
        request.Content = JsonContent.Create(new { giftId, count, idempotencyKey });
        var sentAt = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(request);
        var status = (int)response.StatusCode;
        GiftSentAnswer? sent = null;
        if (response.IsSuccessStatusCode) sent = await response.Content.ReadFromJsonAsync<GiftSentAnswer>();
        else await response.Content.LoadIntoBufferAsync();
        var elapsed = Stopwatch.GetTimestamp() - sentAt;
        var replayed = response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Contains("true");
        return new GiftAnswer(status, sent?.TransactionId, sent?.TotalCoins ?? 0, replayed, sentAt, elapsed);
    }

    private static HttpRequestMessage Authorized(HttpMethod method, Uri uri, SignedInUser user) =>
        new(method, uri) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", user.AccessToken) } };

    private static async Task EnsureAsync(HttpResponseMessage response, string what)
    {
        if (response.IsSuccessStatusCode) return;
        throw new HttpRequestException($"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private sealed record TokenAnswer(long UserId, string AccessToken);

    private sealed record TopUpAnswer(long Id, long Amount, long Balance);

    private sealed record GiftSentAnswer(long TransactionId, long TotalCoins, long Balance);
}
