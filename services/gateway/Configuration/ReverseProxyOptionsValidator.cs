using LiveMicro.Gateway.Routing;
using Microsoft.Extensions.Options;

namespace LiveMicro.Gateway.Configuration;

/// <summary>Refuses a proxy configuration that would misroute or open a hole: a route to an unknown cluster, a
/// route that does not say whether it needs a token, an unknown rate-limit policy, a bad destination URL.</summary>
internal sealed class ReverseProxyOptionsValidator(IOptions<RateLimitOptions> rateLimits) : IValidateOptions<ReverseProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, ReverseProxyOptions options)
    {
        var failures = new List<string>();
        foreach (var (routeId, route) in options.Routes)
        {
            var at = $"ReverseProxy:Routes:{routeId}";
            if (string.IsNullOrWhiteSpace(route.Match.Path)) failures.Add($"{at}:Match:Path is required.");
            else if (RoutePath.TryParse(route.Match.Path, out var error) is null)
                failures.Add($"{at}:Match:Path '{route.Match.Path}' is not a route template the gateway matches: {error}.");
            if (route.ClusterId is null || !options.Clusters.ContainsKey(route.ClusterId))
                failures.Add($"{at}:ClusterId '{route.ClusterId}' names no cluster.");
            if (route.AuthorizationPolicy is not (RouteConfig.AnonymousPolicy or RouteConfig.DefaultPolicy))
                failures.Add($"{at}:AuthorizationPolicy must be '{RouteConfig.AnonymousPolicy}' or '{RouteConfig.DefaultPolicy}'.");
            if (route.RateLimiterPolicy is { } policy && policy != RouteConfig.DisableRateLimiting && !rateLimits.Value.Policies.ContainsKey(policy))
                failures.Add($"{at}:RateLimiterPolicy '{policy}' is not one of RateLimits:Policies.");
            if (route.Timeout is { } timeout && timeout <= TimeSpan.Zero) failures.Add($"{at}:Timeout must be positive.");
        }

        foreach (var (clusterId, cluster) in options.Clusters)
        {
            var at = $"ReverseProxy:Clusters:{clusterId}";
            if (cluster.LoadBalancingPolicy is not (null or LoadBalancingPolicies.PowerOfTwoChoices or LoadBalancingPolicies.RoundRobin))
                failures.Add($"{at}:LoadBalancingPolicy must be {LoadBalancingPolicies.PowerOfTwoChoices} or {LoadBalancingPolicies.RoundRobin}.");
            foreach (var (destinationId, destination) in cluster.Destinations)
            {
                if (!Uri.TryCreate(destination.Address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                    failures.Add($"{at}:Destinations:{destinationId}:Address must be an absolute http(s) URL.");
            }

            if (cluster.HealthCheck?.Active is { Enabled: true } active &&
                (active.Interval <= TimeSpan.Zero || active.Timeout <= TimeSpan.Zero || active.Path is { } path && !path.StartsWith('/')))
                failures.Add($"{at}:HealthCheck:Active needs a positive Interval and Timeout and a Path starting with '/'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
