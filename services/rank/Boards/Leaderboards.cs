using System.Globalization;
using LiveMicro.Contracts;
using LiveMicro.Rank.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LiveMicro.Rank.Boards;

/// <summary>The boards, as Redis sorted sets of user ids: each room's gifters and the anchors by the coins they
/// received (per UTC day and for all time), scored in coins; the anchors by followers; the anchors of live rooms by
/// viewers; display names in one hash beside them.</summary>
public sealed class Leaderboards(IConnectionMultiplexer redis, IOptions<RankOptions> options, TimeProvider time)
{
    // One script so a gift lands on every board or none, and at most once however often its event is delivered:
    // the event bus marks an event handled only after its handler returns, so a crash in between redelivers it.
    // The broadcast it belongs to is the latest one started at or before it; it is also logged for a while (the log
    // trimmed by the gifts' own times, so a service catching up keeps as much), so that a broadcast start handled
    // after its first gifts (the two come on separate streams) can take them over.
    private const string AddGiftScript = """
        if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) == false then return 0 end
        redis.call('ZINCRBY', KEYS[2], ARGV[2], ARGV[3])
        redis.call('ZINCRBY', KEYS[3], ARGV[2], ARGV[4])
        redis.call('EXPIRE', KEYS[3], ARGV[5])
        redis.call('ZINCRBY', KEYS[4], ARGV[2], ARGV[4])
        redis.call('HSET', KEYS[5], ARGV[3], ARGV[6])
        local started = redis.call('ZREVRANGEBYSCORE', KEYS[6], ARGV[7], '-inf', 'LIMIT', 0, 1)[1]
        if started then
            local board = ARGV[8] .. started
            redis.call('ZINCRBY', board, ARGV[2], ARGV[3])
            redis.call('EXPIRE', board, ARGV[9])
        end
        redis.call('ZADD', KEYS[7], ARGV[7], ARGV[3] .. ':' .. ARGV[2] .. ':' .. ARGV[10])
        redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', '(' .. ARGV[11])
        redis.call('EXPIRE', KEYS[7], ARGV[12])
        return 1
        """;

    // A room going live starts a broadcast (once, however often its event comes). The gifts logged from its start up
    // to the next broadcast were counted for the broadcast before it, if any, when they were handled before this start
    // was: they move over, so every logged gift is on the board of the latest broadcast started at or before it.
    private const string StartBroadcastScript = """
        if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
        local before = redis.call('ZREVRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '-inf', 'LIMIT', 0, 1)[1]
        local after = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'LIMIT', 0, 1)[1]
        redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1])
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        local board = ARGV[2] .. ARGV[1]
        local earlier = before and (ARGV[2] .. before)
        for _, gift in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[1], after and ('(' .. after) or '+inf')) do
            local sender, coins = string.match(gift, '^(%d+):(%d+):')
            redis.call('ZINCRBY', board, coins, sender)
            if earlier and tonumber(redis.call('ZINCRBY', earlier, -tonumber(coins), sender)) <= 0 then
                redis.call('ZREM', earlier, sender)
            end
        end
        redis.call('EXPIRE', board, ARGV[3])
        for _, old in ipairs(redis.call('ZRANGE', KEYS[1], 0, -tonumber(ARGV[4]) - 1)) do
            redis.call('DEL', ARGV[2] .. old)
            redis.call('ZREM', KEYS[1], old)
        end
        return 1
        """;

    // Follower counts come as totals, newest wins: an event older than the one applied (a redelivery, or instances
    // handling a follow and an unfollow out of order) changes nothing.
    private const string SetFollowersScript = """
        local applied = redis.call('HGET', KEYS[2], ARGV[1])
        if applied and tonumber(applied) > tonumber(ARGV[3]) then return 0 end
        redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
        if tonumber(ARGV[2]) > 0 then redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1]) else redis.call('ZREM', KEYS[1], ARGV[1]) end
        return 1
        """;

    // A live room's anchor is on the viewers board with the room's latest count; status and count each take their
    // newest event (kept apart: a count and a status change may be handled out of order by different instances).
    private const string SetViewersScript = """
        local anchor = ARGV[1]
        local at, value = KEYS[4], KEYS[5]
        if ARGV[3] ~= '' then at, value = KEYS[2], KEYS[3] end
        local applied = redis.call('HGET', at, anchor)
        if applied and tonumber(applied) > tonumber(ARGV[2]) then return 0 end
        redis.call('HSET', at, anchor, ARGV[2])
        redis.call('HSET', value, anchor, ARGV[3] ~= '' and ARGV[3] or ARGV[4])
        local count = tonumber(redis.call('HGET', KEYS[5], anchor) or '0')
        if redis.call('HGET', KEYS[3], anchor) == 'live' and count > 0 then
            redis.call('ZADD', KEYS[1], count, anchor)
        else
            redis.call('ZREM', KEYS[1], anchor)
        end
        return 1
        """;

    private readonly RankOptions _options = options.Value;

    /// <summary>False when this gift was already counted.</summary>
    public async Task<bool> AddGiftAsync(GiftSent gift)
    {
        var day = gift.OccurredAt.UtcDateTime.Date;
        var keepDay = (long)(day.AddDays(1 + _options.DailyBoardRetentionDays) - time.GetUtcNow().UtcDateTime).TotalSeconds;
        RedisKey[] keys =
        [
            Key($"applied-gift:{gift.Id:N}"), RoomGiftersKey(gift.RoomId), AnchorsKey(AnchorsBoard.Daily, day),
            AnchorsKey(AnchorsBoard.AllTime, day), NamesKey, BroadcastsKey(gift.RoomId), GiftLogKey(gift.RoomId),
        ];
        RedisValue[] arguments =
        [
            (long)_options.AppliedGiftRetention.TotalSeconds, gift.TotalCoins, gift.SenderId, gift.AnchorId,
            Math.Max(keepDay, 1), gift.SenderName, gift.OccurredAt.ToUnixTimeMilliseconds(),
            BroadcastGiftersKeyPrefix(gift.RoomId), (long)_options.BroadcastBoardRetention.TotalSeconds, gift.Id.ToString("N"),
            (gift.OccurredAt - _options.LateBroadcastStartWindow).ToUnixTimeMilliseconds(), (long)_options.LateBroadcastStartWindow.TotalSeconds + 1,
        ];
        var applied = (long)await redis.GetDatabase().ScriptEvaluateAsync(AddGiftScript, keys, arguments) == 1;
        if (applied)
        {
            // every instance pushes to its own watchers of these boards
            var subscriber = redis.GetSubscriber();
            await subscriber.PublishAsync(ChangesChannel, BoardId.RoomGifters(gift.RoomId).Topic);
            await subscriber.PublishAsync(ChangesChannel, BoardId.AnchorsTopic);
        }

        return applied;
    }

    /// <summary>The room went live at <paramref name="startedAt"/>: a broadcast with a gifters board of its own. False
    /// when that start was already recorded.</summary>
    public async Task<bool> StartBroadcastAsync(long roomId, DateTimeOffset startedAt)
    {
        RedisKey[] keys = [BroadcastsKey(roomId), GiftLogKey(roomId)];
        RedisValue[] arguments =
        [
            startedAt.ToUnixTimeMilliseconds(), BroadcastGiftersKeyPrefix(roomId), (long)_options.BroadcastBoardRetention.TotalSeconds,
            _options.BroadcastsKept,
        ];
        var applied = (long)await redis.GetDatabase().ScriptEvaluateAsync(StartBroadcastScript, keys, arguments) == 1;
        if (applied) await redis.GetSubscriber().PublishAsync(ChangesChannel, BoardId.BroadcastGifters(roomId).Topic);
        return applied;
    }

    /// <summary>Where each change is announced, as the <see cref="BoardId.Topic"/> of the boards it moved.</summary>
    public RedisChannel ChangesChannel => _options.KeyPrefix + "changed";

    /// <summary>The board's top <paramref name="top"/>; <paramref name="day"/> picks the day of the daily board. A
    /// broadcast's board is the room's latest broadcast's, live or ended, with when it started.</summary>
    public async Task<BoardTop> TopAsync(BoardId board, int top, DateTime day)
    {
        if (board.RoomId is not { } roomId) return new BoardTop(await TopAsync(AnchorsKey(board.Anchors, day), top), null);
        if (!board.Broadcast) return new BoardTop(await TopAsync(RoomGiftersKey(roomId), top), null);
        var latest = await redis.GetDatabase().SortedSetRangeByRankAsync(BroadcastsKey(roomId), 0, 0, Order.Descending);
        if (latest.Length == 0) return new BoardTop([], null);
        var started = (long)latest[0];
        return new BoardTop(await TopAsync(BroadcastGiftersKeyPrefix(roomId) + started.ToString(CultureInfo.InvariantCulture), top),
            DateTimeOffset.FromUnixTimeMilliseconds(started));
    }

    /// <summary>False when a newer count was already applied.</summary>
    public async Task<bool> SetFollowersAsync(long userId, long followers, DateTimeOffset at)
    {
        RedisKey[] keys = [AnchorsKey(AnchorsBoard.Followers, default), Key("anchors:followers:at")];
        RedisValue[] arguments = [userId, followers, at.ToUnixTimeMilliseconds()];
        var applied = (long)await redis.GetDatabase().ScriptEvaluateAsync(SetFollowersScript, keys, arguments) == 1;
        if (applied) await redis.GetSubscriber().PublishAsync(ChangesChannel, BoardId.AnchorsTopic);
        return applied;
    }

    /// <summary>A room's new status (<paramref name="status"/>, else its viewer count); false when a newer event of
    /// the same kind was already applied.</summary>
    public async Task<bool> SetViewersAsync(long anchorId, string? status, long viewers, DateTimeOffset at)
    {
        RedisKey[] keys =
        [
            AnchorsKey(AnchorsBoard.Viewers, default), Key("viewers:status-at"), Key("viewers:status"),
            Key("viewers:count-at"), Key("viewers:count"),
        ];
        RedisValue[] arguments = [anchorId, at.ToUnixTimeMilliseconds(), status ?? "", viewers];
        var applied = (long)await redis.GetDatabase().ScriptEvaluateAsync(SetViewersScript, keys, arguments) == 1;
        if (applied) await redis.GetSubscriber().PublishAsync(ChangesChannel, BoardId.AnchorsTopic);
        return applied;
    }

    public async Task SetNameAsync(long userId, string displayName) =>
        await redis.GetDatabase().HashSetAsync(NamesKey, userId, displayName);

    private async Task<IReadOnlyList<BoardEntry>> TopAsync(RedisKey key, int top)
    {
        var database = redis.GetDatabase();
        var entries = await database.SortedSetRangeByRankWithScoresAsync(key, 0, top - 1, Order.Descending);
        if (entries.Length == 0) return [];
        var names = await database.HashGetAsync(NamesKey, entries.Select(e => e.Element).ToArray());
        return entries.Select((entry, i) => new BoardEntry(i + 1, (long)entry.Element, names[i].IsNull ? null : (string?)names[i],
            (long)entry.Score)).ToList();
    }

    private RedisKey NamesKey => Key("names");

    private RedisKey RoomGiftersKey(long roomId) => Key($"room:{roomId}:gifters");

    /// <summary>The starts of a room's latest broadcasts, in ms since the epoch, scored by themselves.</summary>
    private RedisKey BroadcastsKey(long roomId) => Key($"room:{roomId}:broadcasts");

    /// <summary>Followed by a broadcast's start, the key of its gifters board.</summary>
    private string BroadcastGiftersKeyPrefix(long roomId) => $"{_options.KeyPrefix}room:{roomId}:broadcast-gifters:";

    /// <summary>A room's recent gifts as sender:coins:gift id, scored by when they were sent.</summary>
    private RedisKey GiftLogKey(long roomId) => Key($"room:{roomId}:gift-log");

    private RedisKey AnchorsKey(AnchorsBoard board, DateTime day) => board switch
    {
        AnchorsBoard.Daily => Key($"anchors:day:{day.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}"),
        AnchorsBoard.Followers => Key("anchors:followers"),
        AnchorsBoard.Viewers => Key("anchors:viewers"),
        _ => Key("anchors:all"),
    };

    private RedisKey Key(string name) => _options.KeyPrefix + name;
}

public enum AnchorsBoard
{
    Daily,
    AllTime,
    Followers,
    Viewers,
}

public static class AnchorsBoards
{
    /// <summary>Each anchors board's name, as its REST path, its WebSocket <c>board</c> and its messages spell it.</summary>
    public static readonly IReadOnlyDictionary<string, AnchorsBoard> ByName = new Dictionary<string, AnchorsBoard>
    {
        ["daily"] = AnchorsBoard.Daily,
        ["all-time"] = AnchorsBoard.AllTime,
        ["followers"] = AnchorsBoard.Followers,
        ["viewers"] = AnchorsBoard.Viewers,
    };

    public static string Name(this AnchorsBoard board) => ByName.First(pair => pair.Value == board).Key;
}

/// <summary>A board as watchers name it: one room's gifters (for all time, or in its latest broadcast), or an anchors
/// board. Changes are announced per room and for the anchors boards together (a gift moves the day's and the all-time
/// board at once; follows are rarer).</summary>
public readonly record struct BoardId(long? RoomId, AnchorsBoard Anchors, bool Broadcast)
{
    public static BoardId RoomGifters(long roomId) => new(roomId, default, false);

    public static BoardId BroadcastGifters(long roomId) => new(roomId, default, true);

    public static BoardId AnchorsOf(AnchorsBoard board) => new(null, board, false);

    public const string AnchorsTopic = "anchors";

    /// <summary>What a change of this board is announced as.</summary>
    public string Topic => RoomId is { } roomId ? $"room:{roomId}" : AnchorsTopic;

    /// <summary>The board's name in messages to watchers.</summary>
    public string Describe() => RoomId is { } roomId
        ? Broadcast ? $"room:{roomId}:broadcast-gifters" : $"room:{roomId}:gifters"
        : $"anchors:{Anchors.Name()}";
}

/// <summary>A board's top places; <paramref name="BroadcastStartedAt"/> is when the broadcast of a broadcast's board
/// started (null on other boards, and for a room that never went live).</summary>
public sealed record BoardTop(IReadOnlyList<BoardEntry> Entries, DateTimeOffset? BroadcastStartedAt);

/// <summary>One place on a board: <paramref name="Name"/> is null until the user's name has been seen.</summary>
public sealed record BoardEntry(int Rank, long UserId, string? Name, long Score);
