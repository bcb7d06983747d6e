using System.Security.Claims;

namespace LiveMicro.ServiceDefaults.Authentication;

public static class ClaimsPrincipalExtensions
{
    /// <summary>The signed-in user's id (the token's <c>sub</c>), or null for a guest.</summary>
    public static long? FindUserId(this ClaimsPrincipal principal) =>
        long.TryParse(principal.FindFirstValue(TokenClaims.Subject), out var id) ? id : null;

    /// <summary>The signed-in user's id; only for endpoints that require authorization.</summary>
    public static long GetUserId(this ClaimsPrincipal principal) =>
        principal.FindUserId() ?? throw new InvalidOperationException("The endpoint requires a signed-in user.");

    public static string? FindDisplayName(this ClaimsPrincipal principal) => principal.FindFirstValue(TokenClaims.Name);
}

/// <summary>The claims in a LiveMicro access token (inbound claim mapping is off, so the names are the JWT's own).</summary>
public static class TokenClaims
{
    public const string Subject = "sub";
    public const string Name = "name";
    public const string TokenId = "jti";

    /// <summary>The refresh-token family the access token was issued from; logout revokes that family.</summary>
    public const string SessionId = "sid";
}
