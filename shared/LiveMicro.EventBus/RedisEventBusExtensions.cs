using LiveMicro.EventBus.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace LiveMicro.EventBus;

public static class RedisEventBusExtensions
{
    /// <summary>Registers <see cref="IEventBus"/> over Redis Streams, configured by the <c>EventBus</c> section
    /// (<see cref="EventBusOptions"/>, validated at start). It uses the <see cref="IConnectionMultiplexer"/> the
    /// service already registered, or else registers one for <c>ConnectionStrings:{connectionName}</c>.</summary>
    public static IEventBusBuilder AddRedisEventBus(this IHostApplicationBuilder builder, string connectionName = "Redis")
    {
        ArgumentNullException.ThrowIfNull(builder);

        if (!builder.Services.Any(descriptor => descriptor.ServiceType == typeof(IConnectionMultiplexer)))
        {
            var connectionString = builder.Configuration.GetConnectionString(connectionName) is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException($"ConnectionStrings:{connectionName} is not configured.");
            var configuration = ConfigurationOptions.Parse(connectionString);
            // Start even while Redis is down: the multiplexer reconnects by itself and the consumers retry.
            configuration.AbortOnConnectFail = false;
            builder.Services.TryAddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(configuration));
        }

        builder.Services.AddOptions<EventBusOptions>()
            .BindConfiguration(EventBusOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton<RedisEventBus>();
        builder.Services.TryAddSingleton<IEventBus>(services => services.GetRequiredService<RedisEventBus>());
        return new EventBusBuilder(builder.Services);
    }

    /// <summary>Makes this service consume <typeparamref name="TEvent"/>: every instance joins the service's
    /// consumer group on the event's stream, and each event is given to <typeparamref name="THandler"/> (and any
    /// other handler registered for it) in a scope of its own.</summary>
    public static IEventBusBuilder AddSubscription<TEvent, THandler>(this IEventBusBuilder eventBus)
        where TEvent : IntegrationEvent
        where THandler : class, IIntegrationEventHandler<TEvent>
    {
        ArgumentNullException.ThrowIfNull(eventBus);

        eventBus.Services.TryAddEnumerable(ServiceDescriptor.Scoped<IIntegrationEventHandler<TEvent>, THandler>());
        eventBus.Services.Configure<EventBusSubscriptionInfo>(subscriptions => subscriptions.Add<TEvent>());
        eventBus.Services.AddHostedService<RedisEventBusConsumerService>();
        return eventBus;
    }
}
