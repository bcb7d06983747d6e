using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LiveMicro.Discovery;

/// <summary>Lists this instance in etcd once Kestrel listens: a lease with the configured TTL, the key
/// <c>/livemicro/services/{name}/{instance}</c> = base URL under it, a keepalive every TTL/3, and the lease revoked
/// on shutdown so gateways drop the instance at once. If the process dies instead, the lease expires on its own.
/// An unreachable etcd never stops the service: it keeps trying.</summary>
internal sealed partial class ServiceRegistration(
    ServiceIdentity identity,
    EtcdClient etcd,
    IOptions<DiscoveryOptions> options,
    IServer server,
    IHostApplicationLifetime lifetime,
    ILogger<ServiceRegistration> logger) : BackgroundService
{
    private long _leaseId;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!await WaitForServerStartedAsync(stoppingToken)) return;

        var url = string.IsNullOrWhiteSpace(settings.AdvertisedUrl) ? ListeningUrl() : settings.AdvertisedUrl;
        if (url is null)
        {
            LogNoAddress(logger, identity.ServiceName);
            return;
        }

        var key = ServiceRegistry.Key(identity.ServiceName, identity.InstanceId);
        var keepAliveInterval = settings.LeaseTtl / 3;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var leaseId = await etcd.GrantLeaseAsync(settings.LeaseTtl, stoppingToken);
                await etcd.PutAsync(key, url, leaseId, stoppingToken);
                Volatile.Write(ref _leaseId, leaseId);
                LogRegistered(logger, key, url, settings.LeaseTtl);

                while (await etcd.KeepAliveAsync(leaseId, stoppingToken) > TimeSpan.Zero)
                {
                    await Task.Delay(keepAliveInterval, stoppingToken);
                }

                LogLeaseLost(logger, key);
            }
            catch (Exception e) when (e is HttpRequestException or EtcdException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                LogEtcdUnavailable(logger, key, e.Message);
                await Task.Delay(settings.RetryDelay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        var leaseId = Interlocked.Exchange(ref _leaseId, 0);
        if (leaseId == 0) return;
        try
        {
            await etcd.RevokeLeaseAsync(leaseId, cancellationToken);
            LogDeregistered(logger, identity.ServiceName, identity.InstanceId);
        }
        catch (Exception e) when (e is HttpRequestException or EtcdException or OperationCanceledException)
        {
            LogEtcdUnavailable(logger, ServiceRegistry.Key(identity.ServiceName, identity.InstanceId), e.Message);
        }
    }

    private async Task<bool> WaitForServerStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return started.Task.IsCompletedSuccessfully;
    }

    private string? ListeningUrl()
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null) return null;
        var uri = new UriBuilder(address.Replace("://+", "://wildcard", StringComparison.Ordinal)
            .Replace("://*", "://wildcard", StringComparison.Ordinal));
        if (uri.Host is "wildcard" or "0.0.0.0" or "[::]") uri.Host = System.Net.Dns.GetHostName();
        return uri.Uri.GetLeftPart(UriPartial.Authority);
    }

    [LoggerMessage(LogLevel.Information, "Registered {Key} = {Url} in etcd (lease TTL {Ttl})")]
    private static partial void LogRegistered(ILogger logger, string key, string url, TimeSpan ttl);

    [LoggerMessage(LogLevel.Information, "Removed {Service} instance {Instance} from etcd")]
    private static partial void LogDeregistered(ILogger logger, string service, string instance);

    [LoggerMessage(LogLevel.Warning, "The etcd lease of {Key} expired; registering again")]
    private static partial void LogLeaseLost(ILogger logger, string key);

    [LoggerMessage(LogLevel.Warning, "etcd is unavailable for {Key}: {Reason}; trying again")]
    private static partial void LogEtcdUnavailable(ILogger logger, string key, string reason);

    [LoggerMessage(LogLevel.Warning, "{Service} is not registered in etcd: it listens on no address; set Discovery:AdvertisedUrl")]
    private static partial void LogNoAddress(ILogger logger, string service);
}
