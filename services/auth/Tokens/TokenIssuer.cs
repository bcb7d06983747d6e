using LiveMicro.Auth.Accounts;
using LiveMicro.ServiceDefaults.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LiveMicro.Auth.Tokens;

public sealed record AccessToken(string Token, string TokenId, DateTimeOffset ExpiresAt, TimeSpan Lifetime);

/// <summary>Signs the short-lived access tokens every service accepts.</summary>
public sealed class TokenIssuer(SigningKeys keys, IOptions<JwtOptions> jwt, IOptions<TokenLifetimeOptions> tokens, TimeProvider time)
{
    private static readonly JsonWebTokenHandler Handler = new();

    public async Task<AccessToken> IssueAsync(Account account, Guid sessionId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var expiresAt = now + tokens.Value.AccessTokenLifetime;
        var tokenId = Guid.NewGuid().ToString("N");
        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = jwt.Value.Issuer,
            Audience = jwt.Value.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            SigningCredentials = await keys.GetSigningCredentialsAsync(cancellationToken),
            Claims = new Dictionary<string, object>
            {
                [TokenClaims.Subject] = account.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [TokenClaims.Name] = account.DisplayName,
                ["preferred_username"] = account.Username,
                [TokenClaims.TokenId] = tokenId,
                [TokenClaims.SessionId] = sessionId.ToString("N"),
            },
        });
        return new AccessToken(token, tokenId, expiresAt, tokens.Value.AccessTokenLifetime);
    }
}
