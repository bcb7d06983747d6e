using System.Text.Json;

namespace LiveMicro.EventBus;

/// <summary>The wire form of an event, shared by the bus and the outbox so that a row relayed later is read exactly
/// like an event published directly.</summary>
internal static class IntegrationEventSerializer
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>The name that picks the stream. Consumers know their CLR type, so the name alone suffices.</summary>
    public static string EventTypeName(Type eventType) => eventType.Name;

    public static string Serialize(IntegrationEvent @event) =>
        JsonSerializer.Serialize(@event, @event.GetType(), Options);

    /// <exception cref="JsonException">The payload is not JSON of <paramref name="eventType"/>.</exception>
    public static IntegrationEvent Deserialize(string payload, Type eventType) =>
        JsonSerializer.Deserialize(payload, eventType, Options) as IntegrationEvent
        ?? throw new JsonException($"The payload is not a {eventType.Name}.");
}
