using LiveMicro.Gateway.Clusters;
using LiveMicro.Gateway.Configuration;
using Polly;

namespace LiveMicro.Gateway.Forwarding;

/// <summary>A configured route, ready to serve: its cluster and its resilience. <see cref="Retry"/> wraps the
/// whole attempt (pick a destination, go through its breaker); <see cref="Timeout"/> bounds one attempt until the
/// response headers.</summary>
public sealed class ProxyRoute(string id, RouteConfig config, ClusterState cluster,
    ResiliencePipeline<HttpResponseMessage> retry, ResiliencePipeline<HttpResponseMessage> timeout)
{
    public string Id { get; } = id;

    public RouteConfig Config { get; } = config;

    public ClusterState Cluster { get; } = cluster;

    public ResiliencePipeline<HttpResponseMessage> Retry { get; } = retry;

    public ResiliencePipeline<HttpResponseMessage> Timeout { get; } = timeout;
}
