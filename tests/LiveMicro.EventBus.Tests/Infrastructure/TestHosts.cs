using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace LiveMicro.EventBus.Tests.Infrastructure;

/// <summary>Builds the Generic Hosts that play the services of a test. Every test has a stream prefix of its own,
/// so tests sharing a redis-server never see each other's streams or processed ids.</summary>
public sealed class TestHosts(string redisConnectionString, ITestOutputHelper output)
{
    public string StreamPrefix { get; } = $"test:{Guid.NewGuid():N}:";

    public string Stream => StreamPrefix + nameof(ScriptedEvent);

    public string DeadLetterStream => Stream + ":dead-letter";

    public string ProcessedKey(string serviceName, Guid eventId) => $"{StreamPrefix}processed:{serviceName}:{eventId}";

    /// <summary>A host with the event bus and the test's fast settings; <paramref name="settings"/> override them.</summary>
    public HostApplicationBuilder CreateBuilder(string serviceName, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.ConfigureContainer(new DefaultServiceProviderFactory(
            new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true }));
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redisConnectionString,
            ["EventBus:ServiceName"] = serviceName,
            ["EventBus:StreamPrefix"] = StreamPrefix,
            ["EventBus:ProcessedKeyPrefix"] = StreamPrefix + "processed:",
            ["EventBus:PollInterval"] = "00:00:00.100",
            ["EventBus:RetryDelay"] = "00:00:00.100",
            ["EventBus:MaxRetryDelay"] = "00:00:00.200",
            ["EventBus:MaxDeliveryAttempts"] = "3",
            ["EventBus:ClaimIdleTime"] = "00:00:00.500",
            ["EventBus:ClaimInterval"] = "00:00:00.100",
            ["EventBus:Outbox:PollInterval"] = "00:00:00.200",
        });
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Debug)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddProvider(new XunitLoggerProvider(output, serviceName));
        return builder;
    }

    /// <summary>Starts a service that handles <see cref="ScriptedEvent"/> into <paramref name="log"/>.</summary>
    public Task<RunningHost> StartConsumerAsync(string serviceName, HandlerLog log,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = CreateBuilder(serviceName, settings);
        builder.Services.AddSingleton(log);
        builder.AddRedisEventBus().AddSubscription<ScriptedEvent, ScriptedEventHandler>();
        return RunningHost.StartAsync(builder);
    }

    /// <summary>Starts a service that only publishes.</summary>
    public Task<RunningHost> StartPublisherAsync()
    {
        var builder = CreateBuilder("publisher");
        builder.AddRedisEventBus();
        return RunningHost.StartAsync(builder);
    }
}

/// <summary>A started host that is stopped, not just disposed, at the end of a using block.</summary>
public sealed class RunningHost : IAsyncDisposable
{
    private readonly IHost _host;

    private RunningHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public IEventBus EventBus => Services.GetRequiredService<IEventBus>();

    public static async Task<RunningHost> StartAsync(HostApplicationBuilder builder)
    {
        var host = builder.Build();
        await host.StartAsync();
        return new RunningHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        if (_host is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync();
        else _host.Dispose();
    }
}
