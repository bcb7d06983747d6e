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
    private const string AddGiftScript = """
        if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) == false then return 0 end
        redis.call('ZINCRBY', KEYS[2], ARGV[2], ARGV[3])
        redis.call('ZINCRBY', KEYS[3], ARGV[2], ARGV[4])
        redis.call('EXPIRE', KEYS[3], ARGV[5])
        redis.call('ZINCRBY', KEYS[4], ARGV[2], ARGV[4])
        redis.call('HSET', KEYS[5], ARGV[3], ARGV[6])
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
            AnchorsKey(AnchorsBoard.AllTime, day), NamesKey,
        ];
        RedisValue[] arguments =
        [
            (long)_options.AppliedGiftRetention.TotalSeconds, gift.TotalCoins, gift.SenderId, gift.AnchorId,
            Math.Max(keepDay, 1), gift.SenderName,
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

    /// <summary>Where each change is announced, as the <see cref="BoardId.Topic"/> of the boards it moved.</summary>
    public RedisChannel ChangesChannel => _options.KeyPrefix + "changed";

    /// <summary>The board's top <paramref name="top"/>; <paramref name="day"/> picks the day of the daily board.</summary>
    public Task<IReadOnlyList<BoardEntry>> TopAsync(BoardId board, int top, DateTime day) =>
        TopAsync(board.RoomId is { } roomId ? RoomGiftersKey(roomId) : AnchorsKey(board.Anchors, day), top);

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

/// <summary>A board as watchers name it: one room's gifters, or an anchors board. Changes are announced per room and
/// for the anchors boards together (a gift moves the day's and the all-time board at once; follows are rarer).</summary>
public readonly record struct BoardId(long? RoomId, AnchorsBoard Anchors)
{
    public static BoardId RoomGifters(long roomId) => new(roomId, default);

    public static BoardId AnchorsOf(AnchorsBoard board) => new(null, board);

    public const string AnchorsTopic = "anchors";

    /// <summary>What a change of this board is announced as.</summary>
    public string Topic => RoomId is { } roomId ? $"room:{roomId}" : AnchorsTopic;

    /// <summary>The board's name in messages to watchers.</summary>
    public string Describe() => RoomId is { } roomId ? $"room:{roomId}:gifters" : $"anchors:{Anchors.Name()}";
}

/// <summary>One place on a board: <paramref name="Name"/> is null until the user's name has been seen.</summary>
public sealed record BoardEntry(int Rank, long UserId, string? Name, long Score);
