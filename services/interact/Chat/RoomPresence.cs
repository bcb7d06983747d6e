using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LiveMicro.Interact.Chat;

public sealed record PresenceChange(long RoomId, long? UserId, string? Name, bool Changed, bool UserEnteredOrLeft, long Viewers);

/// <summary>Who is in which room over all instances, kept in Redis by Lua scripts (each one atomic): the viewer
/// count is distinct signed-in users plus guest connections, so one user on three devices counts once. Every
/// connection is also filed under its instance, so the others can remove the viewers of an instance that died.</summary>
public sealed class RoomPresence(IConnectionMultiplexer redis, IOptions<ChatOptions> options, TimeProvider time)
{
    // KEYS: room conns, room devices, room users, room names, room guests, instance conns, all conns, user conns
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

    // same KEYS and ARGV (name unused); answers {removed, last device of the user, viewers, name}
    private const string LeaveScript = """
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

    private async Task<PresenceChange> LeaveAsync(string instanceId, string connectionId, long roomId, long? userId)
    {
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(LeaveScript, Keys(roomId, instanceId, userId),
            [connectionId, userId ?? 0, "", roomId]))!;
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

    /// <summary>Says this instance is alive; true when it had been given up for dead (or is new), in which case its
    /// connections must be entered again.</summary>
    public async Task<bool> RenewInstanceAsync() =>
        await _db.SortedSetAddAsync(ChatKeys.Instances, InstanceId, time.GetUtcNow().ToUnixTimeMilliseconds());

    /// <summary>Removes the viewers of instances silent for three heartbeats and answers the changes to push.</summary>
    public async Task<IReadOnlyList<PresenceChange>> ReapDeadInstancesAsync()
    {
        var cutoff = time.GetUtcNow().ToUnixTimeMilliseconds() - 3 * options.Value.HeartbeatInterval.TotalMilliseconds;
        var dead = await _db.SortedSetRangeByScoreAsync(ChatKeys.Instances, double.NegativeInfinity, cutoff);
        var changes = new List<PresenceChange>();
        foreach (var instance in dead.Select(d => (string)d!))
        {
            if (instance == InstanceId) continue;
            foreach (var entry in await _db.HashGetAllAsync(ChatKeys.InstanceConnections(instance)))
            {
                var connectionId = (string)entry.Name!;
                var where = ((string?)await _db.HashGetAsync(ChatKeys.Connections, connectionId))?.Split(':');
                var roomId = (long)entry.Value;
                long? userId = where is [_, var user] && long.TryParse(user, out var id) && id != 0 ? id : null;
                var change = await LeaveAsync(instance, connectionId, roomId, userId);
                if (change.Changed) changes.Add(change);
            }

            await _db.KeyDeleteAsync(ChatKeys.InstanceConnections(instance));
            await _db.SortedSetRemoveAsync(ChatKeys.Instances, instance);
        }

        return changes;
    }

    /// <summary>On shutdown: nobody should wait three heartbeats for these viewers to go.</summary>
    public Task LeaveInstanceAsync() => _db.SortedSetRemoveAsync(ChatKeys.Instances, InstanceId);

    private static RedisKey[] Keys(long roomId, string instanceId, long? userId) =>
    [
        ChatKeys.RoomConnections(roomId), ChatKeys.RoomDevices(roomId), ChatKeys.RoomUsers(roomId), ChatKeys.RoomNames(roomId),
        ChatKeys.RoomGuests(roomId), ChatKeys.InstanceConnections(instanceId), ChatKeys.Connections,
        ChatKeys.UserConnections(userId ?? 0),
    ];
}
