using StackExchange.Redis;

namespace LiveMicro.EventBus.Redis;

/// <summary>Where things live in Redis, in one place so publisher, consumers and tests agree.</summary>
internal static class EventStreamNames
{
    public const string IdField = "id";
    public const string TypeField = "type";
    public const string BodyField = "body";

    public static RedisKey Stream(EventBusOptions options, string eventTypeName) => options.StreamPrefix + eventTypeName;

    public static RedisKey DeadLetterStream(RedisKey stream) => $"{stream}:dead-letter";

    /// <summary>The pub/sub channel that wakes the consumers of <paramref name="stream"/>.</summary>
    public static RedisChannel Notifications(RedisKey stream) =>
        new($"{stream}:published", RedisChannel.PatternMode.Literal);

    public static RedisKey ProcessedKey(EventBusOptions options, Guid eventId) =>
        $"{options.ProcessedKeyPrefix}{options.ServiceName}:{eventId}";
}
