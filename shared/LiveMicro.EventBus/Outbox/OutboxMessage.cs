namespace LiveMicro.EventBus.Outbox;

/// <summary>An integration event saved in the same transaction as the change it announces, for the relay to
/// publish once that transaction has committed. Mapped by <see cref="OutboxModelBuilderExtensions.AddOutbox"/>.</summary>
public sealed class OutboxMessage
{
    /// <summary>The event's <see cref="IntegrationEvent.Id"/>.</summary>
    public Guid Id { get; init; }

    /// <summary>The event type name, which names the stream it is published to.</summary>
    public required string EventTypeName { get; init; }

    /// <summary>The event as JSON, exactly as it goes on the stream.</summary>
    public required string Payload { get; init; }

    public DateTimeOffset OccurredAt { get; init; }

    /// <summary>Null until the relay has published the event.</summary>
    public DateTimeOffset? PublishedAt { get; set; }
}
