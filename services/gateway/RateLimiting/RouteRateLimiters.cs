using System.Globalization;
using System.Net;
using System.Security.Claims;
using System.Threading.RateLimiting;
using LiveMicro.Gateway.Configuration;
using LiveMicro.ServiceDefaults.Authentication;
using LiveMicro.ServiceDefaults.ProblemDetails;
using Microsoft.Extensions.Options;

namespace LiveMicro.Gateway.RateLimiting;

/// <summary>Who a request counts against: the signed-in user wherever they connect from, else the client address.
/// A struct of values the request already holds, so picking the partition allocates nothing.</summary>
public readonly record struct RateLimitClient(string? UserId, IPAddress? Address)
{
    public static RateLimitClient Of(ClaimsPrincipal? user, HttpContext context) =>
        user?.FindFirst(TokenClaims.Subject)?.Value is { } userId
            ? new RateLimitClient(userId, null)
            : new RateLimitClient(null, context.Connection.RemoteIpAddress);
}

/// <summary>One limiter per entry of <c>RateLimits:Policies</c> (System.Threading.RateLimiting, what ASP.NET's rate
/// limiter middleware runs on), partitioned per <see cref="RateLimitClient"/>: fixed windows, no queue.</summary>
public sealed class RouteRateLimiters : IDisposable
{
    private readonly Dictionary<string, PartitionedRateLimiter<RateLimitClient>> _byPolicy;

    public RouteRateLimiters(IOptions<RateLimitOptions> options)
    {
        _byPolicy = options.Value.Policies.ToDictionary(p => p.Key, p => Create(p.Value), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The limiter of a route's <c>RateLimiterPolicy</c>; null for none or <c>disable</c>.</summary>
    public PartitionedRateLimiter<RateLimitClient>? Find(string? policy) =>
        policy is null || policy == RouteConfig.DisableRateLimiting ? null : _byPolicy[policy];

    /// <summary>429 problem+json with Retry-After, from the refused lease.</summary>
    public static Task RejectAsync(HttpContext context, RateLimitLease lease)
    {
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Problems.Create(StatusCodes.Status429TooManyRequests, "rate-limited", "Too many requests.",
            $"Try again in {seconds} s.").ExecuteAsync(context);
    }

    public void Dispose()
    {
        foreach (var limiter in _byPolicy.Values) limiter.Dispose();
    }

    private static PartitionedRateLimiter<RateLimitClient> Create(RateLimitPolicyOptions policy)
    {
        var options = new FixedWindowRateLimiterOptions
        {
            PermitLimit = policy.PermitLimit,
            Window = policy.Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        };
        // one factory per policy, not a closure per request
        Func<RateLimitClient, FixedWindowRateLimiterOptions> factory = _ => options;
        return PartitionedRateLimiter.Create<RateLimitClient, RateLimitClient>(client => RateLimitPartition.GetFixedWindowLimiter(client, factory));
    }
}
