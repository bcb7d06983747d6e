using LiveMicro.Contracts;
using LiveMicro.EventBus.Outbox;
using LiveMicro.Interact.Chat;
using LiveMicro.Interact.Infrastructure;
using LiveMicro.Interact.Wallets;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.Interact.Gifts;

public enum GiftOutcome
{
    Sent,
    Replayed,
    UnknownRoom,
    UnknownGift,
    OwnRoom,
    RoomEnded,
    InsufficientBalance,
    KeyReusedForAnotherGift,
}

public sealed record GiftResult(GiftOutcome Outcome, GiftTransaction? Transaction = null, Gift? Gift = null, long Balance = 0);

/// <summary>Sends gifts: the sender's debit, the anchor's revenue, two ledger entries, the transaction row and the
/// GiftSent outbox event commit together or not at all; then the gift is pushed into the chat.</summary>
public sealed partial class GiftSender(InteractDbContext db, GiftCatalogue catalogue, ChatPublisher chat, TimeProvider time,
    ILogger<GiftSender> logger)
{
    public async Task<GiftResult> SendAsync(long senderId, string senderName, long roomId, long giftId, int count,
        string idempotencyKey, CancellationToken cancellationToken)
    {
        var room = await db.Rooms.AsNoTracking().SingleOrDefaultAsync(r => r.Id == roomId, cancellationToken);
        if (room is null) return new GiftResult(GiftOutcome.UnknownRoom);
        var gift = await catalogue.FindAsync(giftId, cancellationToken);
        if (gift is null) return new GiftResult(GiftOutcome.UnknownGift);
        if (room.AnchorId == senderId) return new GiftResult(GiftOutcome.OwnRoom);

        // a replay must answer the first result even after the room ended
        if (await FindAsync(senderId, idempotencyKey, cancellationToken) is { } earlier)
        {
            return Replay(earlier, roomId, gift, count);
        }

        if (room.Status == RoomStatuses.Ended) return new GiftResult(GiftOutcome.RoomEnded);

        var total = checked(gift.Price * count);
        var now = time.GetUtcNow();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (outcome, transactionId, balance) = await DebitAndCreditAsync(senderId, senderName, room, gift, count, total,
                    idempotencyKey, now, cancellationToken);
                if (outcome == GiftOutcome.Replayed)
                    return Replay((await FindAsync(senderId, idempotencyKey, cancellationToken))!, roomId, gift, count);
                if (outcome == GiftOutcome.InsufficientBalance)
                    return new GiftResult(GiftOutcome.InsufficientBalance, Gift: gift, Balance: balance);

                var sent = new GiftTransaction
                {
                    Id = transactionId, SenderId = senderId, IdempotencyKey = idempotencyKey, RoomId = roomId, AnchorId = room.AnchorId,
                    GiftId = giftId, Count = count, TotalCoins = total, BalanceAfter = balance, CreatedAt = now,
                };
                await PushAsync(sent, gift, room.AnchorName, senderName);
                return new GiftResult(GiftOutcome.Sent, sent, gift, balance);
            }
            catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.DeadlockDetected && attempt < 3)
            {
                // two users gifting in each other's rooms at the same moment: PostgreSQL chose this one to give way
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>One transaction: the idempotency row, the sender's debit, the ledger, the GiftSent event and, last, the
    /// anchor's revenue. Every gift to a room credits the same row, so that lock is taken at the very end and held
    /// only until the commit; the sender's row is locked first, which lets two users gifting in each other's rooms
    /// deadlock, and PostgreSQL then aborts one of them (the caller retries it).</summary>
    private async Task<(GiftOutcome Outcome, long TransactionId, long Balance)> DebitAndCreditAsync(long senderId, string senderName,
        Rooms.Room room, Gift gift, int count, long total, string idempotencyKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // The unique (sender, key) index is the idempotency lock: a concurrent twin waits here for this transaction
        // and then finds the row (commit) or inserts its own (rollback).
        var inserted = await db.Database.SqlQuery<long>($"""
            INSERT INTO gift_transactions (sender_id, idempotency_key, room_id, anchor_id, gift_id, count, total_coins, balance_after, created_at)
            VALUES ({senderId}, {idempotencyKey}, {room.Id}, {room.AnchorId}, {gift.Id}, {count}, {total}, 0, {now})
            ON CONFLICT (sender_id, idempotency_key) DO NOTHING
            RETURNING id AS "Value"
            """).ToListAsync(cancellationToken);
        if (inserted.Count == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return (GiftOutcome.Replayed, 0, 0);
        }

        var transactionId = inserted[0];
        var debited = await db.Database.SqlQuery<long>($"""
            UPDATE wallets SET balance = balance - {total}, updated_at = {now}
            WHERE user_id = {senderId} AND balance >= {total}
            RETURNING balance AS "Value"
            """).ToListAsync(cancellationToken);
        if (debited.Count == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            var wallet = await db.Wallets.AsNoTracking().SingleOrDefaultAsync(w => w.UserId == senderId, cancellationToken);
            return (GiftOutcome.InsufficientBalance, 0, wallet?.Balance ?? 0);
        }

        db.AddOutboxEvent(new GiftSent(room.Id, room.AnchorId, senderId, senderName, gift.Id, gift.Name, count, total, gift.Level));
        await db.SaveChangesAsync(cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            UPDATE gift_transactions SET balance_after = {debited[0]} WHERE id = {transactionId};
            INSERT INTO ledger_entries (user_id, kind, amount, gift_transaction_id, created_at) VALUES
                ({senderId}, {LedgerKinds.GiftSent}, {-total}, {transactionId}, {now}),
                ({room.AnchorId}, {LedgerKinds.GiftReceived}, {total}, {transactionId}, {now});
            INSERT INTO wallets (user_id, balance, revenue, updated_at) VALUES ({room.AnchorId}, 0, {total}, {now})
            ON CONFLICT (user_id) DO UPDATE SET revenue = wallets.revenue + {total}, updated_at = {now}
            """, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (GiftOutcome.Sent, transactionId, debited[0]);
    }

    private static GiftResult Replay(GiftTransaction earlier, long roomId, Gift gift, int count) =>
        earlier.RoomId == roomId && earlier.GiftId == gift.Id && earlier.Count == count
            ? new GiftResult(GiftOutcome.Replayed, earlier, gift, earlier.BalanceAfter)
            : new GiftResult(GiftOutcome.KeyReusedForAnotherGift, earlier, gift);

    private Task<GiftTransaction?> FindAsync(long senderId, string idempotencyKey, CancellationToken cancellationToken) =>
        db.GiftTransactions.AsNoTracking()
            .SingleOrDefaultAsync(t => t.SenderId == senderId && t.IdempotencyKey == idempotencyKey, cancellationToken);

    /// <summary>The coins have moved whatever happens here: a failed push is logged, never undone.</summary>
    private async Task PushAsync(GiftTransaction sent, Gift gift, string anchorName, string senderName)
    {
        var message = new GiftMessage(sent.Id, sent.RoomId, sent.AnchorId, anchorName, sent.SenderId, senderName, gift.Id,
            gift.Name, gift.ImageUrl, gift.Level, sent.Count, sent.TotalCoins);
        try
        {
            if (gift.Level == GiftLevels.Premium) await chat.PublishToAllRoomsAsync(message);
            else await chat.PublishToRoomAsync(sent.RoomId, message);
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            LogPushFailed(logger, e, sent.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gift {TransactionId} was sent but could not be pushed to the chat")]
    private static partial void LogPushFailed(ILogger logger, Exception exception, long transactionId);
}
