using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LiveMicro.EventBus.Redis;

/// <summary>Runs one <see cref="RedisStreamConsumer"/> per subscribed event type for the life of the host.</summary>
internal sealed partial class RedisEventBusConsumerService(
    IConnectionMultiplexer redis,
    IServiceScopeFactory scopeFactory,
    IOptions<EventBusOptions> options,
    IOptions<EventBusSubscriptionInfo> subscriptions,
    ILogger<RedisStreamConsumer> logger) : BackgroundService
{
    private readonly RedisStreamConsumer[] _consumers = subscriptions.Value.Subscriptions.Values
        .Select(subscription => new RedisStreamConsumer(subscription, redis, scopeFactory, options.Value, logger))
        .ToArray();

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // With its groups in place before the host reports started, the service is sure to get every event
        // published from then on, even if it stops again at once. Redis being down must not keep the service from
        // starting, though: the consumers create the groups once it is back.
        try
        {
            await Task.WhenAll(_consumers.Select(consumer => consumer.EnsureGroupAsync()));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogGroupsNotCreated(logger, e);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_consumers.Select(consumer => consumer.RunAsync(stoppingToken)));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not create the consumer groups at start; will retry")]
    private static partial void LogGroupsNotCreated(ILogger logger, Exception exception);
}
