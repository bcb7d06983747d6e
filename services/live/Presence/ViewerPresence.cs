using StackExchange.Redis;

namespace LiveMicro.Live.Presence;

/// <summary>Who is in which room, in Redis so every live instance agrees. Each open connection (a WebSocket, or an
/// HTTP "enter") is a member of the room's connection set with an expiry; a viewer with several tabs counts once;
/// the count is the number of distinct viewers. Every change is one Lua script, so concurrent joins, leaves and
/// sweeps never drift the count.</summary>
public sealed class ViewerPresence(IConnectionMultiplexer redis, TimeProvider time)
{
    private const string RoomsKey = "livemicro:live:rooms-with-viewers";

    // KEYS: connections zset, viewers hash, rooms set. ARGV: room id, expires-at ms, then member/viewer pairs.
    // ZADD answers 1 only for a new member, so renewing an existing connection does not count it twice, and a
    // connection swept by mistake (a long pause) is counted again when renewed.
    private const string JoinScript = """
        for i = 3, #ARGV, 2 do
          if redis.call('ZADD', KEYS[1], ARGV[2], ARGV[i]) == 1 then redis.call('HINCRBY', KEYS[2], ARGV[i + 1], 1) end
        end
        redis.call('SADD', KEYS[3], ARGV[1])
        return redis.call('HLEN', KEYS[2])
        """;

    private const string LeaveScript = """
        if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
          if redis.call('HINCRBY', KEYS[2], ARGV[2], -1) <= 0 then redis.call('HDEL', KEYS[2], ARGV[2]) end
        end
        return redis.call('HLEN', KEYS[2])
        """;

    // Drops connections whose lease ran out (their instance died, or an HTTP viewer never came back).
    private const string SweepScript = """
        local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
        for _, member in ipairs(expired) do
          redis.call('ZREM', KEYS[1], member)
          local viewer = string.match(member, '^([^|]*)|')
          if redis.call('HINCRBY', KEYS[2], viewer, -1) <= 0 then redis.call('HDEL', KEYS[2], viewer) end
        end
        local count = redis.call('HLEN', KEYS[2])
        if count == 0 and redis.call('ZCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[3], ARGV[1]) end
        return { #expired, count }
        """;

    public static string UserViewer(long userId) => $"u:{userId}";

    public static string GuestViewer(string guestId) => $"g:{guestId}";

    public Task<long> JoinAsync(long roomId, string viewer, string connectionId, TimeSpan lease) =>
        JoinManyAsync(roomId, [(viewer, connectionId)], lease);

    /// <summary>Renews the leases of connections this instance holds (re-adding any swept by mistake).</summary>
    public async Task<long> JoinManyAsync(long roomId, IReadOnlyCollection<(string Viewer, string ConnectionId)> connections, TimeSpan lease)
    {
        var arguments = new List<RedisValue>(2 + connections.Count * 2)
        {
            roomId,
            (time.GetUtcNow() + lease).ToUnixTimeMilliseconds(),
        };
        foreach (var (viewer, connectionId) in connections)
        {
            arguments.Add(Member(viewer, connectionId));
            arguments.Add(viewer);
        }

        return (long)await redis.GetDatabase().ScriptEvaluateAsync(JoinScript, Keys(roomId), [.. arguments]);
    }

    public async Task<long> LeaveAsync(long roomId, string viewer, string connectionId) =>
        (long)await redis.GetDatabase().ScriptEvaluateAsync(LeaveScript,
            [ConnectionsKey(roomId), ViewersKey(roomId)], [Member(viewer, connectionId), viewer]);

    /// <summary>Sweeps every room that has viewers; answers the rooms whose count changed.</summary>
    public async Task<IReadOnlyList<long>> SweepAsync()
    {
        var db = redis.GetDatabase();
        var changed = new List<long>();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var member in await db.SetMembersAsync(RoomsKey))
        {
            var roomId = (long)member;
            var result = (RedisResult[])(await db.ScriptEvaluateAsync(SweepScript, Keys(roomId), [roomId, now]))!;
            if ((long)result[0] > 0) changed.Add(roomId);
        }

        return changed;
    }

    public async Task<long> CountAsync(long roomId) => await redis.GetDatabase().HashLengthAsync(ViewersKey(roomId));

    private static RedisKey[] Keys(long roomId) => [ConnectionsKey(roomId), ViewersKey(roomId), RoomsKey];

    private static RedisKey ConnectionsKey(long roomId) => $"livemicro:live:room:{roomId}:connections";

    private static RedisKey ViewersKey(long roomId) => $"livemicro:live:room:{roomId}:viewers";

    private static string Member(string viewer, string connectionId) => $"{viewer}|{connectionId}";
}
