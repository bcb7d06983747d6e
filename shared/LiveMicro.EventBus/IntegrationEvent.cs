namespace LiveMicro.EventBus;

/// <summary>An event that crosses a service boundary. Consumers are idempotent on <see cref="Id"/>.</summary>
public abstract record IntegrationEvent
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public DateTimeOffset OccurredAt { get; init; } = DateTimeOffset.UtcNow;

    public int Version { get; init; } = 1;
}
