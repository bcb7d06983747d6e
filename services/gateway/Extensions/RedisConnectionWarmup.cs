using StackExchange.Redis;

namespace LiveMicro.Gateway.Extensions;

/// <summary>Makes the shared Redis connection at start, on a pool thread. Its factory connects synchronously (up to
/// the connect timeout while Redis is down), and requests run on the socket thread that read them
/// (UnsafePreferInlineScheduling): made by the first token check instead, it would stall every connection of that
/// thread meanwhile.</summary>
internal sealed partial class RedisConnectionWarmup(IServiceProvider services, ILogger<RedisConnectionWarmup> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() =>
    {
        try
        {
            services.GetService<IConnectionMultiplexer>();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // the first request that needs Redis tries again; until then readiness reports it down
            LogUnavailable(logger, e.Message);
        }
    }, stoppingToken);

    [LoggerMessage(LogLevel.Warning, "Redis is unavailable at start ({Reason})")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
