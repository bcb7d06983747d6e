using LiveMicro.Gateway.Clusters;
using LiveMicro.Gateway.Configuration;
using LiveMicro.Gateway.Forwarding;
using LiveMicro.Gateway.RateLimiting;
using Microsoft.Extensions.Options;

namespace LiveMicro.Gateway.Routing;

/// <summary>Every configured route, in ASP.NET routing's order: lower <c>Order</c> first, then the more specific
/// template, and among the routes whose path matches, the first that takes the request's method wins. Routes are
/// indexed by their literal first segment, so a request is compared with a handful of templates.</summary>
public sealed class ProxyRouteTable
{
    private readonly Dictionary<string, ProxyRoute[]>.AlternateLookup<ReadOnlySpan<char>> _byFirstSegment;

    /// <summary>The routes whose first segment is not a literal: candidates for any path.</summary>
    private readonly ProxyRoute[] _anyFirstSegment;

    public ProxyRouteTable(IOptions<ReverseProxyOptions> options, IOptions<ResilienceOptions> resilience,
        ClusterRegistry clusters, RouteRateLimiters rateLimiters)
    {
        var routes = options.Value.Routes
            .Select(r => new ProxyRoute(r.Key, r.Value,
                RoutePath.TryParse(r.Value.Match.Path!, out _) ?? throw new InvalidOperationException($"Route '{r.Key}' was not validated."),
                clusters.Get(r.Value.ClusterId!), r.Value.Timeout ?? resilience.Value.DefaultTimeout, rateLimiters.Find(r.Value.RateLimiterPolicy)))
            .Order(Comparer<ProxyRoute>.Create(static (a, b) =>
            {
                var byOrder = (a.Config.Order ?? 0).CompareTo(b.Config.Order ?? 0);
                if (byOrder != 0) return byOrder;
                var byPrecedence = a.Path.ComparePrecedence(b.Path);
                return byPrecedence != 0 ? byPrecedence : string.CompareOrdinal(a.Id, b.Id);
            }))
            .ToArray();

        Routes = routes;
        _anyFirstSegment = routes.Where(r => r.Path.FirstLiteral is null).ToArray();
        _byFirstSegment = routes.Where(r => r.Path.FirstLiteral is not null)
            .GroupBy(r => r.Path.FirstLiteral!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => routes.Where(r => r.Path.FirstLiteral is null || g.Contains(r)).ToArray(),
                StringComparer.OrdinalIgnoreCase)
            .GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Every route, in matching order.</summary>
    public IReadOnlyList<ProxyRoute> Routes { get; }

    /// <summary>The route for the request, or null: then <paramref name="pathMatched"/> says whether some route
    /// matched the path but not the method (405).</summary>
    public ProxyRoute? Match(string path, string method, out bool pathMatched)
    {
        pathMatched = false;
        foreach (var route in CandidatesFor(path))
        {
            if (!route.Path.IsMatch(path)) continue;
            if (route.Accepts(method)) return route;
            pathMatched = true;
        }

        return null;
    }

    /// <summary>The methods of the routes whose path matches, for a 405's Allow header.</summary>
    public IEnumerable<string> MethodsFor(string path) =>
        CandidatesFor(path).Where(r => r.Path.IsMatch(path) && r.Methods is not null).SelectMany(r => r.Methods!)
            .Distinct(StringComparer.OrdinalIgnoreCase);

    private ProxyRoute[] CandidatesFor(string path)
    {
        var firstSegment = path.AsSpan(path.StartsWith('/') ? 1 : 0);
        var slash = firstSegment.IndexOf('/');
        if (slash >= 0) firstSegment = firstSegment[..slash];
        return _byFirstSegment.TryGetValue(firstSegment, out var routes) ? routes : _anyFirstSegment;
    }
}
