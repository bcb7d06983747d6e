using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using LiveMicro.Gateway.Configuration;
using LiveMicro.ServiceDefaults.Authentication;
using LiveMicro.ServiceDefaults.ProblemDetails;
using Microsoft.AspNetCore.RateLimiting;

namespace LiveMicro.Gateway.RateLimiting;

/// <summary>Who a request counts against: the signed-in user wherever they connect from, else the client address.
/// A struct of values the request already holds, so picking the partition allocates nothing.</summary>
internal readonly record struct RateLimitClient(string? UserId, IPAddress? Address)
{
    public static RateLimitClient Of(HttpContext context) =>
        context.User.FindFirst(TokenClaims.Subject)?.Value is { } userId
            ? new RateLimitClient(userId, null)
            : new RateLimitClient(null, context.Connection.RemoteIpAddress);
}

internal static class RateLimitingExtensions
{
    /// <summary>ASP.NET's rate limiter with one policy per entry of <c>RateLimits:Policies</c>; a refused request
    /// gets 429 problem+json with Retry-After.</summary>
    public static IHostApplicationBuilder AddGatewayRateLimiting(this IHostApplicationBuilder builder)
    {
        var policies = builder.Configuration.GetSection(RateLimitOptions.SectionName).Get<RateLimitOptions>()?.Policies ?? [];
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (rejected, _) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                rejected.HttpContext.Response.Headers.RetryAfter =
                    Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await Problems.Create(StatusCodes.Status429TooManyRequests, "rate-limited", "Too many requests.",
                    $"Try again in {Math.Ceiling(retryAfter.TotalSeconds)} s.").ExecuteAsync(rejected.HttpContext);
            };
            foreach (var (name, policy) in policies)
            {
                var options = new FixedWindowRateLimiterOptions
                {
                    PermitLimit = policy.PermitLimit,
                    Window = policy.Window,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                };
                limiter.AddPolicy(name, context => RateLimitPartition.GetFixedWindowLimiter(RateLimitClient.Of(context), _ => options));
            }
        });
        return builder;
    }
}
