using LiveMicro.Gateway.Clusters;

namespace LiveMicro.Gateway.HealthChecks;

/// <summary>Probes every destination of clusters with <c>HealthCheck:Active:Enabled</c> (by default
/// <c>GET /health/ready</c> every 10 s, 5 s timeout); a destination that does not answer 2xx gets no requests until
/// it does again.</summary>
internal sealed partial class ActiveHealthChecker(ClusterRegistry clusters, IHttpClientFactory httpClients,
    ILogger<ActiveHealthChecker> logger) : BackgroundService
{
    public const string HttpClientName = "gateway-health-checks";

    private static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);
    private const string DefaultPath = "/health/ready";

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(clusters.All.Where(c => c.Config.HealthCheck?.Active?.Enabled == true).Select(c => CheckAsync(c, stoppingToken)));

    private async Task CheckAsync(ClusterState cluster, CancellationToken stoppingToken)
    {
        var active = cluster.Config.HealthCheck!.Active!;
        using var timer = new PeriodicTimer(active.Interval ?? DefaultInterval);
        try
        {
            do
            {
                await Task.WhenAll(cluster.Destinations.Select(d =>
                    ProbeAsync(d, active.Path ?? DefaultPath, active.Timeout ?? DefaultTimeout, stoppingToken)));
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    private async Task ProbeAsync(DestinationState destination, string path, TimeSpan timeout, CancellationToken stoppingToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        deadline.CancelAfter(timeout);
        bool healthy;
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).GetAsync(destination.Address + path, deadline.Token);
            healthy = response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !stoppingToken.IsCancellationRequested)
        {
            healthy = false;
        }

        if (healthy == destination.IsHealthy) return;
        destination.IsHealthy = healthy;
        if (healthy) LogHealthy(logger, destination.Address);
        else LogUnhealthy(logger, destination.Address, path);
    }

    [LoggerMessage(LogLevel.Information, "{Destination} is healthy again")]
    private static partial void LogHealthy(ILogger logger, string destination);

    [LoggerMessage(LogLevel.Warning, "{Destination} failed its health check ({Path}): no requests until it passes")]
    private static partial void LogUnhealthy(ILogger logger, string destination, string path);
}
