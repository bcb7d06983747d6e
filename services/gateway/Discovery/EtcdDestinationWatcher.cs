using System.Text.Json;
using LiveMicro.Discovery;
using LiveMicro.Gateway.Clusters;
using Microsoft.Extensions.Options;

namespace LiveMicro.Gateway.Discovery;

/// <summary>Keeps each cluster's destinations equal to the instances registered in etcd under
/// <c>/livemicro/services/{cluster id}/</c>: a snapshot, then a watch from the snapshot's revision so no change is
/// missed. A cluster with no registered instance uses its static destinations. If etcd cannot be reached the
/// clusters keep what they have (the static destinations at start) and the watcher tries again.</summary>
internal sealed partial class EtcdDestinationWatcher(
    ClusterRegistry clusters,
    DestinationFactory destinations,
    IServiceProvider services,
    IOptions<DiscoveryOptions> options,
    ILogger<EtcdDestinationWatcher> logger) : BackgroundService
{
    private readonly Dictionary<string, SortedDictionary<string, string>> _instances = new(StringComparer.OrdinalIgnoreCase);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.IsEnabled)
        {
            LogStatic(logger);
            return;
        }

        var etcd = services.GetRequiredService<EtcdClient>();
        var everConnected = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var snapshot = await etcd.GetPrefixAsync(ServiceRegistry.Prefix, stoppingToken);
                everConnected = true;
                _instances.Clear();
                foreach (var item in snapshot.Items) Apply(EtcdEventType.Put, item.Key, item.Value);
                foreach (var cluster in clusters.All) Publish(cluster);
                LogWatching(logger, settings.Etcd.Endpoint!, snapshot.Items.Count);

                await foreach (var change in etcd.WatchPrefixAsync(ServiceRegistry.Prefix, snapshot.Revision + 1, stoppingToken))
                {
                    if (Apply(change.Type, change.Key, change.Value) is { } cluster) Publish(cluster);
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested &&
                                      e is HttpRequestException or EtcdException or IOException or JsonException or TaskCanceledException)
            {
                if (everConnected) LogEtcdLost(logger, settings.Etcd.Endpoint!, e.Message);
                else LogEtcdUnavailableAtStart(logger, settings.Etcd.Endpoint!, e.Message);
                await Task.Delay(settings.RetryDelay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Records one change and answers the cluster it concerns, if the gateway routes to that service.</summary>
    private ClusterState? Apply(EtcdEventType type, string key, string value)
    {
        if (!ServiceRegistry.TryParseKey(key, out var service, out var instance)) return null;
        var cluster = clusters.Find(service);
        if (cluster is null) return null;

        if (!_instances.TryGetValue(service, out var instances)) _instances[service] = instances = new(StringComparer.Ordinal);
        if (type == EtcdEventType.Delete)
        {
            if (instances.Remove(instance)) LogInstanceRemoved(logger, service, instance);
        }
        else if (Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
        {
            instances[instance] = value;
            LogInstanceAdded(logger, service, instance, value);
        }
        else
        {
            LogBadAddress(logger, key, value);
        }

        return cluster;
    }

    private void Publish(ClusterState cluster)
    {
        var discovered = _instances.TryGetValue(cluster.Id, out var instances)
            ? instances.Select(i => destinations.GetOrCreate(i.Key, i.Value)).ToList()
            : [];
        cluster.UseDiscovered(discovered);
    }

    [LoggerMessage(LogLevel.Information, "Discovery is off (no Discovery:Etcd:Endpoint): routing to the static destinations")]
    private static partial void LogStatic(ILogger logger);

    [LoggerMessage(LogLevel.Information, "Watching {Endpoint} for service instances ({Count} registered now)")]
    private static partial void LogWatching(ILogger logger, string endpoint, int count);

    [LoggerMessage(LogLevel.Warning, "etcd at {Endpoint} is unavailable ({Reason}): routing to the static destinations until it answers")]
    private static partial void LogEtcdUnavailableAtStart(ILogger logger, string endpoint, string reason);

    [LoggerMessage(LogLevel.Warning, "Lost etcd at {Endpoint} ({Reason}): keeping the last known destinations until it answers")]
    private static partial void LogEtcdLost(ILogger logger, string endpoint, string reason);

    [LoggerMessage(LogLevel.Information, "Instance {Instance} of {Service} at {Address} is routed to")]
    private static partial void LogInstanceAdded(ILogger logger, string service, string instance, string address);

    [LoggerMessage(LogLevel.Information, "Instance {Instance} of {Service} left the registry")]
    private static partial void LogInstanceRemoved(ILogger logger, string service, string instance);

    [LoggerMessage(LogLevel.Warning, "Ignoring {Key}: '{Value}' is not an http(s) URL")]
    private static partial void LogBadAddress(ILogger logger, string key, string value);
}
