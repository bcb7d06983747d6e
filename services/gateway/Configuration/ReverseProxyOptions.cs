namespace LiveMicro.Gateway.Configuration;

/// <summary>Section <c>ReverseProxy</c>, in YARP's shape, so YARP can take over the forwarding later without a
/// change to the configuration. Routes and clusters are keyed by their id, as in YARP's JSON.</summary>
public sealed class ReverseProxyOptions
{
    public const string SectionName = "ReverseProxy";

    public Dictionary<string, RouteConfig> Routes { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, ClusterConfig> Clusters { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class RouteConfig
{
    /// <summary>YARP's policy names: <c>anonymous</c> lets anyone through (the service still checks the token it
    /// gets), <c>default</c> requires a valid, unrevoked access token at the edge.</summary>
    public const string AnonymousPolicy = "anonymous";
    public const string DefaultPolicy = "default";

    /// <summary>YARP's name for "no rate limit on this route".</summary>
    public const string DisableRateLimiting = "disable";

    public RouteMatch Match { get; set; } = new();

    public string? ClusterId { get; set; }

    public string? AuthorizationPolicy { get; set; }

    public string? RateLimiterPolicy { get; set; }

    /// <summary>How long the destination may take to answer with its headers (sending the request body included);
    /// a streamed body after that is not cut. The <c>Resilience:DefaultTimeout</c> when unset.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Lower wins when two routes match; routes of equal order fall back to routing precedence (a
    /// literal segment beats a parameter, a parameter beats a catch-all).</summary>
    public int? Order { get; set; }
}

public sealed class RouteMatch
{
    /// <summary>An ASP.NET route template, e.g. <c>/api/rooms/{id}/gifts</c> or <c>/api/users/{**catch-all}</c>.</summary>
    public string? Path { get; set; }

    /// <summary>The HTTP methods the route takes; every method when empty.</summary>
    public List<string>? Methods { get; set; }
}

public sealed class ClusterConfig
{
    /// <summary>The static destinations, used when discovery is off, etcd is unreachable at start, or no
    /// instance of the service is registered. The cluster id is the service name looked up in etcd.</summary>
    public Dictionary<string, DestinationConfig> Destinations { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary><c>PowerOfTwoChoices</c> (the default, as in YARP) or <c>RoundRobin</c>.</summary>
    public string? LoadBalancingPolicy { get; set; }

    public HealthCheckConfig? HealthCheck { get; set; }
}

public sealed class DestinationConfig
{
    public string Address { get; set; } = "";
}

public sealed class HealthCheckConfig
{
    public ActiveHealthCheckConfig? Active { get; set; }
}

public sealed class ActiveHealthCheckConfig
{
    public bool Enabled { get; set; }

    public TimeSpan? Interval { get; set; }

    public TimeSpan? Timeout { get; set; }

    public string? Path { get; set; }
}

public static class LoadBalancingPolicies
{
    public const string PowerOfTwoChoices = "PowerOfTwoChoices";
    public const string RoundRobin = "RoundRobin";
}
