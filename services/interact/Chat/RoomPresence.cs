using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LiveMicro.Interact.Chat;

public sealed record PresenceChange(long RoomId, long? UserId, string? Name, bool Changed, bool UserEnteredOrLeft, long Viewers);

/// <summary>Who is in which room over all instances, kept in Redis by Lua scripts (each one atomic): the viewer
/// count is distinct signed-in users plus guest connections, so one user on three devices counts once. Every
/// connection is also filed under its instance, so the others can remove the viewers of an instance that died.</summary>
public sealed class RoomPresence(IConnectionMultiplexer redis, IOptions<ChatOptions> options, TimeProvider time)
{
    // KEYS: room conns, room devices, room users, room names, room guests, instance conns, all conns, user conns,
    // instance liveness (unused here)
    // ARGV: connection id, user id (0 = guest), name, room id
    private const string EnterScript = """
        if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
          return {0, 0, redis.call('ZCARD', KEYS[3]) + tonumber(redis.call('GET', KEYS[5]) or '0')}
        end
        redis.call('HSET', KEYS[6], ARGV[1], ARGV[4])
        redis.call('HSET', KEYS[7], ARGV[1], ARGV[4] .. ':' .. ARGV[2])
        local first = 0
        if ARGV[2] == '0' then
          redis.call('INCR', KEYS[5])
        else
          redis.call('SADD', KEYS[8], ARGV[1])
          redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
          if redis.call('HINCRBY', KEYS[2], ARGV[2], 1) == 1 then
            first = 1
            redis.call('ZADD', KEYS[3], ARGV[2], ARGV[2])
          end
        end
        return {1, first, redis.call('ZCARD', KEYS[3]) + tonumber(redis.call('GET', KEYS[5]) or '0')}
        """;

    // same KEYS and ARGV (name unused) plus KEYS[9] the instance's liveness key and ARGV[5] '1' when another
    // instance removes it as dead (then nothing happens if the instance renewed meanwhile); answers
    // {removed, last device of the user, viewers, name}
    private const string LeaveScript = """
        if ARGV[5] == '1' and redis.call('EXISTS', KEYS[9]) == 1 then
          return {0, 0, redis.call('ZCARD', KEYS[3]) + tonumber(redis.call('GET', KEYS[5]) or '0'), ''}
        end
        if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then
          return {0, 0, redis.call('ZCARD', KEYS[3]) + tonumber(redis.call('GET', KEYS[5]) or '0'), ''}
        end
        redis.call('HDEL', KEYS[6], ARGV[1])
        redis.call('HDEL', KEYS[7], ARGV[1])
        local last = 0
        local name = ''
        if ARGV[2] == '0' then
          if tonumber(redis.call('DECR', KEYS[5])) < 0 then redis.call('SET', KEYS[5], '0') end
        else
          redis.call('SREM', KEYS[8], ARGV[1])
          name = redis.call('HGET', KEYS[4], ARGV[2]) or ''
          if redis.call('HINCRBY', KEYS[2], ARGV[2], -1) <= 0 then
            last = 1
            redis.call('HDEL', KEYS[2], ARGV[2])
            redis.call('ZREM', KEYS[3], ARGV[2])
            redis.call('HDEL', KEYS[4], ARGV[2])
          end
        end
        return {1, last, redis.call('ZCARD', KEYS[3]) + tonumber(redis.call('GET', KEYS[5]) or '0'), name}
        """;

    // KEYS: liveness key, instances; ARGV: ttl ms, instance id, now ms. Answers 1 when the instance was alive.
    private const string RenewScript = """
        local was = redis.call('EXISTS', KEYS[1])
        redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
        redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
        return was
        """;

    // KEYS: liveness key, instance conns, instances; ARGV: instance id. Forgets a dead instance once it is empty.
    private const string ForgetScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('HLEN', KEYS[2]) > 0 then return 0 end
        redis.call('ZREM', KEYS[3], ARGV[1])
        return 1
        """;

    /// <summary>Renewals (and sweeps for dead instances) per heartbeat interval; the liveness key lives one heartbeat,
    /// so an instance that dies is swept within 1 to 1 1/4 heartbeats, and a live one may stall 3/4 of a heartbeat
    /// before the others give it up.</summary>
    public const int RenewalsPerHeartbeat = 4;

    private const int SweepBatch = 256;

    private readonly IDatabase _db = redis.GetDatabase();

    private string InstanceId => options.Value.InstanceId;

    public async Task<PresenceChange> EnterAsync(ChatConnection connection)
    {
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(EnterScript, Keys(connection.RoomId, InstanceId, connection.UserId),
            [connection.Id, connection.UserId ?? 0, connection.Name ?? "", connection.RoomId]))!;
        return new PresenceChange(connection.RoomId, connection.UserId, connection.Name, (long)result[0] == 1,
            (long)result[1] == 1, (long)result[2]);
    }

    public Task<PresenceChange> LeaveAsync(ChatConnection connection) =>
        LeaveAsync(InstanceId, connection.Id, connection.RoomId, connection.UserId);

    private async Task<PresenceChange> LeaveAsync(string instanceId, string connectionId, long roomId, long? userId,
        bool onlyIfDead = false)
    {
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(LeaveScript, Keys(roomId, instanceId, userId),
            [connectionId, userId ?? 0, "", roomId, onlyIfDead ? 1 : 0]))!;
        return new PresenceChange(roomId, userId, (string?)result[3], (long)result[0] == 1, (long)result[1] == 1, (long)result[2]);
    }

    public async Task<long> CountAsync(long roomId)
    {
        var users = _db.SortedSetLengthAsync(ChatKeys.RoomUsers(roomId));
        var guests = _db.StringGetAsync(ChatKeys.RoomGuests(roomId));
        return await users + ((long?)(await guests) ?? 0);
    }

    /// <summary>A keyset page of the signed-in users present, by id.</summary>
    public async Task<UserListMessage> ListUsersAsync(long roomId, long after, int limit)
    {
        var ids = await _db.SortedSetRangeByScoreAsync(ChatKeys.RoomUsers(roomId), after, double.PositiveInfinity,
            Exclude.Start, Order.Ascending, 0, limit + 1);
        var page = ids.Take(limit).ToArray();
        var names = page.Length == 0 ? [] : await _db.HashGetAsync(ChatKeys.RoomNames(roomId), page);
        var total = await _db.SortedSetLengthAsync(ChatKeys.RoomUsers(roomId));
        var users = page.Select((id, i) => new ChatUser((long)id, (string?)names[i] ?? "")).ToList();
        return new UserListMessage(users, total, ids.Length > limit ? users[^1].UserId : null);
    }

    /// <summary>The devices of a user, over all instances.</summary>
    public async Task<long> CountUserConnectionsAsync(long userId) =>
        await _db.SetLengthAsync(ChatKeys.UserConnections(userId));

    public async Task<bool> ConnectionExistsAsync(string connectionId) =>
        await _db.HashExistsAsync(ChatKeys.Connections, connectionId);

    /// <summary>Says this instance is alive for one more heartbeat (a liveness key with that TTL, so Redis's clock
    /// decides, not the instances'); true when it had been given up for dead (or is new), in which case its
    /// connections must be entered again.</summary>
    public async Task<bool> RenewInstanceAsync()
    {
        var ttl = (long)Math.Ceiling(options.Value.HeartbeatInterval.TotalMilliseconds);
        var wasAlive = (long)await _db.ScriptEvaluateAsync(RenewScript, [ChatKeys.InstanceAlive(InstanceId), ChatKeys.Instances],
            [ttl, InstanceId, time.GetUtcNow().ToUnixTimeMilliseconds()]);
        return wasAlive == 0;
    }

    /// <summary>Removes the viewers of instances whose liveness key expired and answers the changes to push. Every
    /// instance does this at every renewal; two doing it at once remove each viewer once.</summary>
    public async Task<IReadOnlyList<PresenceChange>> ReapDeadInstancesAsync()
    {
        var instances = (await _db.SortedSetRangeByRankAsync(ChatKeys.Instances)).Select(i => (string)i!)
            .Where(i => i != InstanceId).ToArray();
        if (instances.Length == 0) return [];
        var alive = await Task.WhenAll(instances.Select(i => _db.KeyExistsAsync(ChatKeys.InstanceAlive(i))));
        var changes = new List<PresenceChange>();
        for (var i = 0; i < instances.Length; i++)
        {
            if (!alive[i]) await SweepAsync(instances[i], changes);
        }

        return changes;
    }

    private async Task SweepAsync(string instance, List<PresenceChange> changes)
    {
        var entries = await _db.HashGetAllAsync(ChatKeys.InstanceConnections(instance));
        foreach (var batch in entries.Chunk(SweepBatch))
        {
            var where = await _db.HashGetAsync(ChatKeys.Connections, batch.Select(e => e.Name).ToArray());
            var leaves = batch.Select((entry, i) =>
            {
                var user = ((string?)where[i])?.Split(':') is [_, var u] && long.TryParse(u, out var id) && id != 0 ? id : (long?)null;
                return LeaveAsync(instance, (string)entry.Name!, (long)entry.Value, user, onlyIfDead: true);
            });
            changes.AddRange((await Task.WhenAll(leaves)).Where(change => change.Changed));
        }

        await _db.ScriptEvaluateAsync(ForgetScript,
            [ChatKeys.InstanceAlive(instance), ChatKeys.InstanceConnections(instance), ChatKeys.Instances], [instance]);
    }

    /// <summary>On shutdown: this instance is dead at once, so the others sweep whatever viewers did not leave by
    /// themselves within a quarter heartbeat.</summary>
    public Task LeaveInstanceAsync() => _db.KeyDeleteAsync(ChatKeys.InstanceAlive(InstanceId));

    private static RedisKey[] Keys(long roomId, string instanceId, long? userId) =>
    [
        ChatKeys.RoomConnections(roomId), ChatKeys.RoomDevices(roomId), ChatKeys.RoomUsers(roomId), ChatKeys.RoomNames(roomId),
        ChatKeys.RoomGuests(roomId), ChatKeys.InstanceConnections(instanceId), ChatKeys.Connections,
        ChatKeys.UserConnections(userId ?? 0), ChatKeys.InstanceAlive(instanceId),
    ];
}
