using System.Security.Cryptography;
using LiveMicro.Contracts;
using LiveMicro.Interact.Chat;
using LiveMicro.Interact.Infrastructure;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace LiveMicro.Interact.Lotteries;

public enum LotteryOutcome
{
    Done,
    AlreadyDone,
    UnknownRoom,
    UnknownLottery,
    NotRoomOwner,
    RoomEnded,
    Closed,
    NotAFollower,
    OwnLottery,
    FollowCheckUnavailable,
}

public sealed record NewLottery(string Prize, int WinnerCount, string JoinMode, string? Keyword, bool FollowersOnly,
    DateTimeOffset ClosesAt);

/// <summary>Room lotteries: the owner opens one, viewers join once, and it is drawn exactly once, at its closing
/// time or when the owner says, with a cryptographic RNG, under a row lock that every instance's drawer respects.</summary>
public sealed partial class LotteryService(InteractDbContext db, ChatPublisher chat, FollowChecker follows,
    IConnectionMultiplexer redis, TimeProvider time, ILogger<LotteryService> logger)
{
    public async Task<(LotteryOutcome Outcome, Lottery? Lottery)> CreateAsync(long ownerId, long roomId, NewLottery request,
        CancellationToken cancellationToken)
    {
        var room = await db.Rooms.AsNoTracking().SingleOrDefaultAsync(r => r.Id == roomId, cancellationToken);
        if (room is null) return (LotteryOutcome.UnknownRoom, null);
        if (room.AnchorId != ownerId) return (LotteryOutcome.NotRoomOwner, null);
        if (room.Status == RoomStatuses.Ended) return (LotteryOutcome.RoomEnded, null);

        var lottery = new Lottery
        {
            RoomId = roomId, OwnerId = ownerId, Prize = request.Prize.Trim(), WinnerCount = request.WinnerCount,
            JoinMode = request.JoinMode, Keyword = request.JoinMode == LotteryJoinModes.Keyword ? request.Keyword!.Trim() : null,
            FollowersOnly = request.FollowersOnly, ClosesAt = request.ClosesAt.ToUniversalTime(), Status = LotteryStatuses.Open,
            CreatedAt = time.GetUtcNow(),
        };
        db.Lotteries.Add(lottery);
        await db.SaveChangesAsync(cancellationToken);
        if (lottery.Keyword is { } keyword)
        {
            await redis.GetDatabase().HashSetAsync(ChatKeys.LotteryKeywords(roomId), keyword.ToLowerInvariant(), lottery.Id);
        }

        await PushAsync(lottery, 0, []);
        return (LotteryOutcome.Done, lottery);
    }

    /// <summary>Joins once: a second join answers <see cref="LotteryOutcome.AlreadyDone"/>. The lottery row is read
    /// with FOR SHARE, so a join either lands before the draw reads the entrants or sees the lottery closed.</summary>
    public async Task<LotteryOutcome> JoinAsync(long lotteryId, long userId, string userName, string? accessToken,
        CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var lottery = await db.Lotteries.FromSql($"SELECT * FROM lotteries WHERE id = {lotteryId} FOR SHARE")
            .AsNoTracking().SingleOrDefaultAsync(cancellationToken);
        if (lottery is null) return LotteryOutcome.UnknownLottery;
        if (lottery.Status != LotteryStatuses.Open || lottery.ClosesAt <= time.GetUtcNow()) return LotteryOutcome.Closed;
        if (lottery.OwnerId == userId) return LotteryOutcome.OwnLottery;
        if (lottery.FollowersOnly)
        {
            try
            {
                if (accessToken is null || !await follows.FollowsAsync(accessToken, lottery.OwnerId, cancellationToken))
                {
                    return LotteryOutcome.NotAFollower;
                }
            }
            catch (HttpRequestException e)
            {
                LogFollowCheckFailed(logger, e, lotteryId);
                return LotteryOutcome.FollowCheckUnavailable;
            }
        }

        var added = await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO lottery_entries (lottery_id, user_id, user_name, joined_at, won)
            VALUES ({lotteryId}, {userId}, {userName}, {time.GetUtcNow()}, false)
            ON CONFLICT (lottery_id, user_id) DO NOTHING
            """, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return added == 1 ? LotteryOutcome.Done : LotteryOutcome.AlreadyDone;
    }

    /// <summary>Draws now unless it was drawn already. <paramref name="ownerId"/> null: the closing-time drawer.</summary>
    public async Task<LotteryOutcome> DrawAsync(long lotteryId, long? ownerId, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var lottery = await db.Lotteries.FromSql($"SELECT * FROM lotteries WHERE id = {lotteryId} FOR UPDATE")
            .SingleOrDefaultAsync(cancellationToken);
        if (lottery is null) return LotteryOutcome.UnknownLottery;
        if (ownerId is { } owner && owner != lottery.OwnerId) return LotteryOutcome.NotRoomOwner;
        if (lottery.Status != LotteryStatuses.Open) return LotteryOutcome.AlreadyDone;
        if (ownerId is null && lottery.ClosesAt > time.GetUtcNow()) return LotteryOutcome.AlreadyDone;

        var entrants = await db.LotteryEntries.Where(e => e.LotteryId == lotteryId).OrderBy(e => e.UserId).ToListAsync(cancellationToken);
        var winners = PickWinners(entrants, lottery.WinnerCount);
        foreach (var winner in winners) winner.Won = true;
        lottery.Status = LotteryStatuses.Drawn;
        lottery.DrawnAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        if (lottery.Keyword is { } keyword)
        {
            await redis.GetDatabase().HashDeleteAsync(ChatKeys.LotteryKeywords(lottery.RoomId), keyword.ToLowerInvariant());
        }

        await PushAsync(lottery, entrants.Count, winners.Select(w => new LotteryWinner(w.UserId, w.UserName)).ToList());
        return LotteryOutcome.Done;
    }

    /// <summary>A uniform choice of <paramref name="count"/> entrants (all of them when fewer): a partial
    /// Fisher-Yates shuffle driven by <see cref="RandomNumberGenerator"/>.</summary>
    public static IReadOnlyList<T> PickWinners<T>(IReadOnlyList<T> entrants, int count)
    {
        var pool = entrants.ToArray();
        var take = Math.Min(count, pool.Length);
        for (var i = 0; i < take; i++)
        {
            var j = RandomNumberGenerator.GetInt32(i, pool.Length);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }

        return pool[..take];
    }

    public async Task<IReadOnlyList<long>> FindDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return await db.Lotteries.AsNoTracking()
            .Where(l => l.Status == LotteryStatuses.Open && l.ClosesAt <= now)
            .OrderBy(l => l.ClosesAt).Select(l => l.Id).Take(100).ToListAsync(cancellationToken);
    }

    private async Task PushAsync(Lottery lottery, long entrants, IReadOnlyList<LotteryWinner> winners)
    {
        try
        {
            await chat.PublishToRoomAsync(lottery.RoomId, new LotteryMessage(lottery.Id, lottery.RoomId, lottery.Prize,
                lottery.Status, lottery.WinnerCount, lottery.JoinMode, lottery.Keyword, lottery.FollowersOnly, lottery.ClosesAt,
                entrants, winners));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogPushFailed(logger, e, lottery.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lottery {LotteryId} could not be pushed to its room")]
    private static partial void LogPushFailed(ILogger logger, Exception exception, long lotteryId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The user service did not answer a follow check for lottery {LotteryId}")]
    private static partial void LogFollowCheckFailed(ILogger logger, Exception exception, long lotteryId);
}
