using Microsoft.Extensions.DependencyInjection;

namespace LiveMicro.EventBus;

/// <summary>Returned by <see cref="RedisEventBusExtensions.AddRedisEventBus"/> to add subscriptions and the
/// outbox relay to the same event bus.</summary>
public interface IEventBusBuilder
{
    IServiceCollection Services { get; }
}

internal sealed class EventBusBuilder(IServiceCollection services) : IEventBusBuilder
{
    public IServiceCollection Services { get; } = services;
}
