namespace LiveMicro.Auth.Tokens;

/// <summary>One refresh token of a login's family. Only its SHA-256 hash is stored; a token is used once, and
/// presenting a used one again means it was stolen, so the whole family is revoked.</summary>
public sealed class RefreshToken
{
    public long Id { get; set; }

    public long AccountId { get; set; }

    public Guid FamilyId { get; set; }

    public required byte[] TokenHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? UsedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}
