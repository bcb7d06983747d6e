using Microsoft.EntityFrameworkCore;

namespace LiveMicro.EventBus.Outbox;

public static class OutboxDbContextExtensions
{
    /// <summary>Adds <paramref name="event"/> to the outbox as part of this context's unit of work: it is saved by
    /// the caller's <c>SaveChanges</c>, in the caller's transaction if there is one, and published by the relay
    /// (<see cref="OutboxEventBusBuilderExtensions.AddOutboxRelay{TDbContext}"/>) only once that has committed.</summary>
    public static void AddOutboxEvent(this DbContext dbContext, IntegrationEvent @event)
    {
        ArgumentNullException.ThrowIfNull(dbContext);
        ArgumentNullException.ThrowIfNull(@event);

        dbContext.Set<OutboxMessage>().Add(new OutboxMessage
        {
            Id = @event.Id,
            EventTypeName = IntegrationEventSerializer.EventTypeName(@event.GetType()),
            Payload = IntegrationEventSerializer.Serialize(@event),
            // PostgreSQL's timestamptz takes UTC only.
            OccurredAt = @event.OccurredAt.ToUniversalTime(),
        });

        EventHandler<SavedChangesEventArgs>? wakeRelay = null;
        wakeRelay = (_, _) =>
        {
            dbContext.SavedChanges -= wakeRelay;
            // Inside an explicit transaction the row is not visible to the relay yet; it finds it on its next poll.
            if (dbContext.Database.CurrentTransaction is null) OutboxRelaySignal.Saved.Notify();
        };
        dbContext.SavedChanges += wakeRelay;
    }
}

/// <summary>Lets a relay in this process publish a saved outbox row at once rather than at its next poll.</summary>
internal static class OutboxRelaySignal
{
    public static WakeSignal Saved { get; } = new();
}
