using System.Security.Cryptography;
using LiveMicro.Auth.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace LiveMicro.Auth.Tokens;

public sealed record IssuedRefreshToken(string Token, Guid FamilyId, DateTimeOffset ExpiresAt);

public enum RotationOutcome
{
    Rotated,
    Unknown,
    Expired,
    Revoked,

    /// <summary>The token had already been rotated: someone replayed it, and its family is now revoked.</summary>
    Reused,
}

public sealed record RotationResult(RotationOutcome Outcome, long AccountId = 0, IssuedRefreshToken? Next = null);

public sealed class RefreshTokenStore(AuthDbContext db, IOptions<TokenLifetimeOptions> options, TimeProvider time)
{
    public async Task<IssuedRefreshToken> IssueAsync(long accountId, Guid familyId, CancellationToken cancellationToken)
    {
        var token = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        var row = new RefreshToken
        {
            AccountId = accountId,
            FamilyId = familyId,
            TokenHash = Hash(token),
            CreatedAt = now,
            ExpiresAt = now + options.Value.RefreshTokenLifetime,
        };
        db.RefreshTokens.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        return new IssuedRefreshToken(token, familyId, row.ExpiresAt);
    }

    /// <summary>Uses <paramref name="token"/> up and issues its successor in the same family. The "mark used"
    /// step is one conditional UPDATE, so two concurrent refreshes with one token cannot both succeed.</summary>
    public async Task<RotationResult> RotateAsync(string token, CancellationToken cancellationToken)
    {
        var hash = Hash(token);
        var row = await db.RefreshTokens.AsNoTracking().SingleOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (row is null) return new RotationResult(RotationOutcome.Unknown);
        if (row.RevokedAt is not null) return new RotationResult(RotationOutcome.Revoked);

        var now = time.GetUtcNow();
        if (row.ExpiresAt <= now) return new RotationResult(RotationOutcome.Expired);

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var claimed = await db.RefreshTokens
            .Where(t => t.Id == row.Id && t.UsedAt == null && t.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.UsedAt, now), cancellationToken);
        if (claimed == 0)
        {
            await RevokeFamilyAsync(row.FamilyId, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new RotationResult(RotationOutcome.Reused);
        }

        var next = await IssueAsync(row.AccountId, row.FamilyId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new RotationResult(RotationOutcome.Rotated, row.AccountId, next);
    }

    public Task<int> RevokeFamilyAsync(Guid familyId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return db.RefreshTokens
            .Where(t => t.FamilyId == familyId && t.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.RevokedAt, now), cancellationToken);
    }

    private static byte[] Hash(string token) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));
}
