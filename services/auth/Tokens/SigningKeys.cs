using System.Security.Cryptography;
using LiveMicro.Auth.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

namespace LiveMicro.Auth.Tokens;

/// <summary>The keys tokens are signed with. The newest signs; all are published in the JWKS so tokens signed
/// before a rotation stay valid. Generated on first start and persisted, so a restart logs nobody out.</summary>
public sealed class SigningKeys(IServiceScopeFactory scopes, TimeProvider time)
{
    private readonly SemaphoreSlim _load = new(1, 1);
    private IReadOnlyList<ECDsaSecurityKey>? _keys;

    public async Task<SigningCredentials> GetSigningCredentialsAsync(CancellationToken cancellationToken = default)
    {
        var keys = await GetKeysAsync(cancellationToken);
        return new SigningCredentials(keys[0], SecurityAlgorithms.EcdsaSha256);
    }

    /// <summary>The public halves, newest first.</summary>
    public async Task<IReadOnlyList<JsonWebKey>> GetPublicKeysAsync(CancellationToken cancellationToken = default)
    {
        var keys = await GetKeysAsync(cancellationToken);
        return keys.Select(ToPublicJwk).ToList();
    }

    /// <summary>Makes sure a key exists and is loaded; called once at start-up.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
        if (!await db.SigningKeys.AnyAsync(cancellationToken))
        {
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            db.SigningKeys.Add(new SigningKey
            {
                KeyId = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12)),
                Algorithm = SecurityAlgorithms.EcdsaSha256,
                PrivateKey = ecdsa.ExportPkcs8PrivateKey(),
                CreatedAt = time.GetUtcNow(),
            });
            await db.SaveChangesAsync(cancellationToken);
        }

        _keys = null;
        await GetKeysAsync(cancellationToken);
    }

    private async Task<IReadOnlyList<ECDsaSecurityKey>> GetKeysAsync(CancellationToken cancellationToken)
    {
        if (_keys is { } loaded) return loaded;
        await _load.WaitAsync(cancellationToken);
        try
        {
            if (_keys is { } raced) return raced;
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
            var rows = await db.SigningKeys.AsNoTracking()
                .OrderByDescending(k => k.CreatedAt).ThenBy(k => k.KeyId).ToListAsync(cancellationToken);
            if (rows.Count == 0) throw new InvalidOperationException("No signing key: InitializeAsync has not run.");
            _keys = rows.Select(ToSecurityKey).ToList();
            return _keys;
        }
        finally
        {
            _load.Release();
        }
    }

    private static ECDsaSecurityKey ToSecurityKey(SigningKey row)
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(row.PrivateKey, out _);
        return new ECDsaSecurityKey(ecdsa) { KeyId = row.KeyId };
    }

    private static JsonWebKey ToPublicJwk(ECDsaSecurityKey key)
    {
        var publicOnly = ECDsa.Create(key.ECDsa.ExportParameters(includePrivateParameters: false));
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(publicOnly) { KeyId = key.KeyId });
        jwk.Use = JsonWebKeyUseNames.Sig;
        jwk.Alg = SecurityAlgorithms.EcdsaSha256;
        return jwk;
    }
}
