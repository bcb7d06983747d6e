using LiveMicro.Interact.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.Interact.Wallets;

public enum TopUpOutcome
{
    Added,
    Replayed,
    Declined,
}

public sealed record TopUpResult(TopUpOutcome Outcome, TopUp? TopUp = null, string? DeclineReason = null);

public sealed class WalletStore(InteractDbContext db, TimeProvider time)
{
    public async Task<Wallet> GetAsync(long userId, CancellationToken cancellationToken) =>
        await db.Wallets.AsNoTracking().SingleOrDefaultAsync(w => w.UserId == userId, cancellationToken)
        ?? new Wallet { UserId = userId, UpdatedAt = time.GetUtcNow() };

    /// <summary>Charges the provider, then credits the coins, the top-up row and its ledger entry in one
    /// transaction. The same idempotency key again answers the first top-up and credits nothing.</summary>
    public async Task<TopUpResult> TopUpAsync(long userId, long coins, string idempotencyKey, IPaymentProvider provider,
        CancellationToken cancellationToken)
    {
        if (await FindTopUpAsync(userId, idempotencyKey, cancellationToken) is { } earlier)
        {
            return new TopUpResult(TopUpOutcome.Replayed, earlier);
        }

        var payment = await provider.ChargeAsync(userId, coins, idempotencyKey, cancellationToken);
        if (!payment.Approved) return new TopUpResult(TopUpOutcome.Declined, DeclineReason: payment.DeclineReason);

        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var inserted = await db.Database.SqlQuery<long>($"""
            INSERT INTO top_ups (user_id, amount, provider, provider_reference, idempotency_key, balance_after, created_at)
            VALUES ({userId}, {coins}, {provider.Name}, {payment.Reference}, {idempotencyKey}, 0, {now})
            ON CONFLICT (user_id, idempotency_key) DO NOTHING
            RETURNING id AS "Value"
            """).ToListAsync(cancellationToken);
        if (inserted.Count == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new TopUpResult(TopUpOutcome.Replayed, await FindTopUpAsync(userId, idempotencyKey, cancellationToken));
        }

        var balance = await db.Database.SqlQuery<long>($"""
            INSERT INTO wallets (user_id, balance, revenue, updated_at) VALUES ({userId}, {coins}, 0, {now})
            ON CONFLICT (user_id) DO UPDATE SET balance = wallets.balance + excluded.balance, updated_at = excluded.updated_at
            RETURNING balance AS "Value"
            """).ToListAsync(cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            UPDATE top_ups SET balance_after = {balance[0]} WHERE id = {inserted[0]};
            INSERT INTO ledger_entries (user_id, kind, amount, top_up_id, created_at)
            VALUES ({userId}, {LedgerKinds.TopUp}, {coins}, {inserted[0]}, {now})
            """, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new TopUpResult(TopUpOutcome.Added, await FindTopUpAsync(userId, idempotencyKey, cancellationToken));
    }

    private Task<TopUp?> FindTopUpAsync(long userId, string idempotencyKey, CancellationToken cancellationToken) =>
        db.TopUps.AsNoTracking().SingleOrDefaultAsync(t => t.UserId == userId && t.IdempotencyKey == idempotencyKey, cancellationToken);
}
