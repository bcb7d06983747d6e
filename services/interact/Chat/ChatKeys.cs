using StackExchange.Redis;

namespace LiveMicro.Interact.Chat;

/// <summary>Every Redis key and channel of the chat, in one place.</summary>
public static class ChatKeys
{
    private const string Prefix = "livemicro:interact:";

    /// <summary>The pub/sub channel all instances share: every message for a room, a user, a connection or all rooms.</summary>
    public static readonly RedisChannel Backplane = new(Prefix + "chat", RedisChannel.PatternMode.Literal);

    /// <summary>Sorted set: the instances known (scored by their last renewal, unix ms, for reading only); an instance
    /// leaves it when it has been swept.</summary>
    public static RedisKey Instances => Prefix + "instances";

    /// <summary>String with a TTL of one heartbeat, renewed four times per heartbeat: the instance is alive while it
    /// exists.</summary>
    public static RedisKey InstanceAlive(string instanceId) => $"{Prefix}instance:{instanceId}:alive";

    /// <summary>Hash: connection id -> room id, for the connections an instance holds (cleared when it dies).</summary>
    public static RedisKey InstanceConnections(string instanceId) => $"{Prefix}instance:{instanceId}:conns";

    /// <summary>Hash: connection id -> "roomId:userId" (userId 0 for a guest), over all instances.</summary>
    public static RedisKey Connections => Prefix + "conns";

    /// <summary>Hash: connection id -> user id (0 for a guest), of one room.</summary>
    public static RedisKey RoomConnections(long roomId) => $"{Prefix}room:{roomId}:conns";

    /// <summary>Hash: user id -> number of that user's connections in the room.</summary>
    public static RedisKey RoomDevices(long roomId) => $"{Prefix}room:{roomId}:devices";

    /// <summary>Sorted set: signed-in user ids present in the room, scored by id (keyset pages for userlist).</summary>
    public static RedisKey RoomUsers(long roomId) => $"{Prefix}room:{roomId}:users";

    /// <summary>Hash: user id -> display name, for the users present.</summary>
    public static RedisKey RoomNames(long roomId) => $"{Prefix}room:{roomId}:names";

    /// <summary>Counter: guest connections in the room.</summary>
    public static RedisKey RoomGuests(long roomId) => $"{Prefix}room:{roomId}:guests";

    /// <summary>Set: a user's connection ids over all rooms and instances.</summary>
    public static RedisKey UserConnections(long userId) => $"{Prefix}user:{userId}:conns";

    /// <summary>List: the room's last danmaku (JSON), newest first.</summary>
    public static RedisKey RoomHistory(long roomId) => $"{Prefix}room:{roomId}:history";

    public static RedisKey Muted(long roomId, long userId) => $"{Prefix}room:{roomId}:muted:{userId}";

    /// <summary>String: slow-mode seconds of the room (absent: off).</summary>
    public static RedisKey SlowMode(long roomId) => $"{Prefix}room:{roomId}:slowmode";

    /// <summary>Set while a user must wait before their next danmaku in a slow-mode room.</summary>
    public static RedisKey SlowModeWait(long roomId, long userId) => $"{Prefix}room:{roomId}:slow:{userId}";

    /// <summary>Hash {t: tokens, ts: unix ms}: the user's danmaku token bucket.</summary>
    public static RedisKey DanmakuBucket(long userId) => $"{Prefix}danmaku-bucket:{userId}";

    /// <summary>Hash: lowercased keyword -> lottery id, for the room's open keyword lotteries.</summary>
    public static RedisKey LotteryKeywords(long roomId) => $"{Prefix}room:{roomId}:lottery-keywords";
}
