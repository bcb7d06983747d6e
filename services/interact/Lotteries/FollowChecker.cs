using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace LiveMicro.Interact.Lotteries;

/// <summary>Asks the user service whether the bearer of a token follows a user; the follow graph lives there.</summary>
public sealed class FollowChecker(HttpClient http)
{
    public const string HttpClientName = "user-service";

    /// <exception cref="HttpRequestException">The user service did not answer.</exception>
    public async Task<bool> FollowsAsync(string accessToken, long userId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/users/{userId}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return false;
        response.EnsureSuccessStatusCode();
        var profile = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return profile?["followedByMe"]?.GetValue<bool>() == true;
    }
}
