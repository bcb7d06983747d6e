using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LiveMicro.Interact.Chat;

public enum DanmakuVerdict
{
    Allowed,
    Muted,
    SlowMode,
    RateLimited,
}

/// <summary>Who may say what and how often, in Redis so that every instance applies the same limits: the room
/// owner's mutes and slow mode, a per-user token bucket (burst, then a steady rate) over all devices, and the
/// room's last danmaku for newcomers.</summary>
public sealed class RoomModeration(IConnectionMultiplexer redis, IOptions<ChatOptions> options, TimeProvider time)
{
    // KEYS: muted, slow mode, slow-mode wait, bucket. ARGV: now ms, burst, tokens per ms, 1 if exempt from slow mode.
    // Answers {verdict, retry after ms}.
    private const string GateScript = """
        local muted = redis.call('PTTL', KEYS[1])
        if muted > 0 then return {'muted', muted} end
        local slow = 0
        if ARGV[4] == '0' then
          slow = tonumber(redis.call('GET', KEYS[2]) or '0')
          if slow > 0 then
            local wait = redis.call('PTTL', KEYS[3])
            if wait > 0 then return {'slow', wait} end
          end
        end
        local now = tonumber(ARGV[1])
        local burst = tonumber(ARGV[2])
        local rate = tonumber(ARGV[3])
        local bucket = redis.call('HMGET', KEYS[4], 't', 'ts')
        local tokens = tonumber(bucket[1]) or burst
        local ts = tonumber(bucket[2]) or now
        tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
        if tokens < 1 then return {'rate', math.ceil((1 - tokens) / rate)} end
        redis.call('HMSET', KEYS[4], 't', tostring(tokens - 1), 'ts', ARGV[1])
        redis.call('PEXPIRE', KEYS[4], math.ceil(burst / rate) + 1000)
        if slow > 0 then redis.call('SET', KEYS[3], '1', 'PX', slow * 1000) end
        return {'ok', 0}
        """;

    private readonly IDatabase _db = redis.GetDatabase();

    public async Task<(DanmakuVerdict Verdict, int RetryAfterMs)> CheckDanmakuAsync(long roomId, long userId, bool isOwner)
    {
        var chat = options.Value;
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(GateScript,
            [ChatKeys.Muted(roomId, userId), ChatKeys.SlowMode(roomId), ChatKeys.SlowModeWait(roomId, userId), ChatKeys.DanmakuBucket(userId)],
            [time.GetUtcNow().ToUnixTimeMilliseconds(), chat.DanmakuBurst, (chat.DanmakuPerSecond / 1000).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
             isOwner ? 1 : 0]))!;
        var verdict = (string?)result[0] switch
        {
            "muted" => DanmakuVerdict.Muted,
            "slow" => DanmakuVerdict.SlowMode,
            "rate" => DanmakuVerdict.RateLimited,
            _ => DanmakuVerdict.Allowed,
        };
        return (verdict, (int)Math.Min(int.MaxValue, (long)result[1]));
    }

    public Task MuteAsync(long roomId, long userId, TimeSpan duration) =>
        _db.StringSetAsync(ChatKeys.Muted(roomId, userId), "1", duration);

    public Task UnmuteAsync(long roomId, long userId) => _db.KeyDeleteAsync(ChatKeys.Muted(roomId, userId));

    /// <summary>0 turns slow mode off.</summary>
    public Task SetSlowModeAsync(long roomId, int seconds) =>
        seconds == 0 ? _db.KeyDeleteAsync(ChatKeys.SlowMode(roomId)) : _db.StringSetAsync(ChatKeys.SlowMode(roomId), seconds);

    public async Task<int> GetSlowModeAsync(long roomId) => (int?)await _db.StringGetAsync(ChatKeys.SlowMode(roomId)) ?? 0;

    public async Task AddToHistoryAsync(DanmakuMessage message)
    {
        var size = options.Value.HistorySize;
        if (size == 0) return;
        var key = ChatKeys.RoomHistory(message.RoomId);
        var transaction = _db.CreateTransaction();
        _ = transaction.ListLeftPushAsync(key, JsonSerializer.SerializeToUtf8Bytes(message, JsonChatCodec.Options));
        _ = transaction.ListTrimAsync(key, 0, size - 1);
        await transaction.ExecuteAsync();
    }

    /// <summary>The room's last danmaku, oldest first.</summary>
    public async Task<IReadOnlyList<DanmakuMessage>> GetHistoryAsync(long roomId)
    {
        var size = options.Value.HistorySize;
        if (size == 0) return [];
        var entries = await _db.ListRangeAsync(ChatKeys.RoomHistory(roomId), 0, size - 1);
        return entries.Reverse()
            .Select(e => JsonSerializer.Deserialize<DanmakuMessage>((byte[])e!, JsonChatCodec.Options))
            .OfType<DanmakuMessage>()
            .ToList();
    }
}
