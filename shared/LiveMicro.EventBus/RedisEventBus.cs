using LiveMicro.EventBus.Redis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LiveMicro.EventBus;

/// <summary>Publishes an event by appending it to its type's stream, then tells the stream's consumers on pub/sub
/// so they read it at once instead of at their next poll.</summary>
internal sealed partial class RedisEventBus(
    IConnectionMultiplexer redis,
    IOptions<EventBusOptions> options,
    ILogger<RedisEventBus> logger) : IEventBus
{
    private readonly RedisStreams _streams = new(redis.GetDatabase());
    private readonly ISubscriber _subscriber = redis.GetSubscriber();

    public Task PublishAsync(IntegrationEvent @event, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@event);
        return PublishSerializedAsync(@event.Id, IntegrationEventSerializer.EventTypeName(@event.GetType()),
            IntegrationEventSerializer.Serialize(@event), cancellationToken);
    }

    /// <summary>Publishes an event already in its wire form, as the outbox stores it, without its CLR type.</summary>
    public async Task PublishSerializedAsync(Guid eventId, string eventTypeName, string payload,
        CancellationToken cancellationToken)
    {
        // StackExchange.Redis 1.2.6 takes no cancellation token, so this is the last point to honour it.
        cancellationToken.ThrowIfCancellationRequested();
        var stream = EventStreamNames.Stream(options.Value, eventTypeName);
        var entryId = await _streams.AddAsync(stream, options.Value.MaxStreamLength,
        [
            new(EventStreamNames.IdField, eventId.ToString()),
            new(EventStreamNames.TypeField, eventTypeName),
            new(EventStreamNames.BodyField, payload),
        ]);
        // The entry is safe in the stream; the notification only saves consumers a poll, so nobody waits for it.
        await _subscriber.PublishAsync(EventStreamNames.Notifications(stream), entryId,
            CommandFlags.FireAndForget);
        LogPublished(logger, eventTypeName, eventId, entryId);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Published {EventType} {EventId} as stream entry {EntryId}")]
    private static partial void LogPublished(ILogger logger, string eventType, Guid eventId, string entryId);
}
