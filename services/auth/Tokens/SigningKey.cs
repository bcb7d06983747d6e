namespace LiveMicro.Auth.Tokens;

/// <summary>A persisted ES256 key pair, so a restart (or a second instance) signs with what the JWKS publishes.</summary>
public sealed class SigningKey
{
    public required string KeyId { get; set; }

    public required string Algorithm { get; set; }

    /// <summary>PKCS#8 private key.</summary>
    public required byte[] PrivateKey { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
