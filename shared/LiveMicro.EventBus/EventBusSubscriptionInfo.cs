using Microsoft.Extensions.DependencyInjection;

namespace LiveMicro.EventBus;

/// <summary>The event types this service consumes, keyed by the event type name that names their stream.</summary>
internal sealed class EventBusSubscriptionInfo
{
    public Dictionary<string, EventSubscription> Subscriptions { get; } = new(StringComparer.Ordinal);

    public void Add<TEvent>() where TEvent : IntegrationEvent
    {
        var eventTypeName = IntegrationEventSerializer.EventTypeName(typeof(TEvent));
        if (Subscriptions.TryGetValue(eventTypeName, out var existing))
        {
            if (existing.EventType == typeof(TEvent)) return;
            throw new InvalidOperationException(
                $"{typeof(TEvent).FullName} and {existing.EventType.FullName} would share the stream of '{eventTypeName}'; " +
                "event type names must be unique.");
        }

        Subscriptions.Add(eventTypeName, new EventSubscription(eventTypeName, typeof(TEvent), DispatchAsync<TEvent>));
    }

    private static async Task DispatchAsync<TEvent>(IServiceProvider services, IntegrationEvent @event,
        CancellationToken cancellationToken) where TEvent : IntegrationEvent
    {
        foreach (var handler in services.GetServices<IIntegrationEventHandler<TEvent>>())
        {
            await handler.HandleAsync((TEvent)@event, cancellationToken);
        }
    }
}

/// <summary>One consumed event type: its stream name, its CLR type, and how to hand it to every registered
/// handler resolved from a given scope.</summary>
internal sealed record EventSubscription(
    string EventTypeName,
    Type EventType,
    Func<IServiceProvider, IntegrationEvent, CancellationToken, Task> DispatchAsync);
