namespace LiveMicro.EventBus;

public interface IEventBus
{
    /// <summary>Appends the event to its stream; returns once Redis has it.</summary>
    Task PublishAsync(IntegrationEvent @event, CancellationToken cancellationToken = default);
}
