using LiveMicro.ServiceDefaults.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace LiveMicro.Auth.Tokens;

/// <summary>Auth validates its own tokens (verify, logout) from the keys it holds, not over HTTP to itself.</summary>
public sealed class LocalSigningKeyConfiguration(SigningKeys keys, IOptions<JwtOptions> jwt)
    : IConfigurationManager<OpenIdConnectConfiguration>
{
    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var configuration = new OpenIdConnectConfiguration { Issuer = jwt.Value.Issuer };
        foreach (var key in await keys.GetPublicKeysAsync(cancel)) configuration.SigningKeys.Add(key);
        return configuration;
    }

    public void RequestRefresh()
    {
    }
}
