using System.Threading.RateLimiting;
using LiveMicro.Gateway.Clusters;
using LiveMicro.Gateway.Configuration;
using LiveMicro.Gateway.RateLimiting;
using LiveMicro.Gateway.Routing;

namespace LiveMicro.Gateway.Forwarding;

/// <summary>A configured route, ready to serve: where it matches, what it requires of the caller, its cluster and how
/// long one attempt may take until the response headers.</summary>
public sealed class ProxyRoute(string id, RouteConfig config, RoutePath path, ClusterState cluster, TimeSpan timeout,
    PartitionedRateLimiter<RateLimitClient>? rateLimiter)
{
    public string Id { get; } = id;

    public RouteConfig Config { get; } = config;

    public RoutePath Path { get; } = path;

    /// <summary>The methods the route takes; null for every method.</summary>
    public string[]? Methods { get; } = config.Match.Methods is { Count: > 0 } methods ? [.. methods] : null;

    public ClusterState Cluster { get; } = cluster;

    public TimeSpan Timeout { get; } = timeout;

    /// <summary>A valid, unrevoked access token is required at the edge (the <c>default</c> policy).</summary>
    public bool RequiresUser { get; } = config.AuthorizationPolicy == RouteConfig.DefaultPolicy;

    /// <summary>The route's rate-limit policy; null when it has none or disables it.</summary>
    public PartitionedRateLimiter<RateLimitClient>? RateLimiter { get; } = rateLimiter;

    public bool Accepts(string method)
    {
        if (Methods is null) return true;
        foreach (var accepted in Methods)
        {
            if (string.Equals(accepted, method, StringComparison.OrdinalIgnoreCase)) return true;
        }

        return false;
    }
}
