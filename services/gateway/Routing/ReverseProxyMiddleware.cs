using System.Security.Claims;
using System.Threading.RateLimiting;
using LiveMicro.Gateway.Forwarding;
using LiveMicro.Gateway.RateLimiting;
using LiveMicro.ServiceDefaults.ProblemDetails;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Net.Http.Headers;

namespace LiveMicro.Gateway.Routing;

/// <summary>The whole life of a routed request, first in the pipeline: match the route, check what the route asks
/// of the caller, forward. Only what a route declares runs: the token is validated when the route requires a user,
/// or when the caller sent one and the route's rate limit counts per user; the limiter is asked only when the route
/// has a policy. Paths no route matches go on to the rest of the pipeline (health, OpenAPI, 404).</summary>
internal sealed class ReverseProxyMiddleware(RequestDelegate next, ProxyRouteTable routes, HttpForwarder forwarder)
{
    private const string AccessTokenQuery = "access_token";

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var route = routes.Match(path, HttpMethods.IsConnect(request.Method) ? WebSocketConnect.RoutedMethod(context) : request.Method, out var pathMatched);
        if (route is null) return pathMatched ? MethodNotAllowedAsync(context, path) : next(context);
        if (!route.RequiresUser && route.RateLimiter is null) return forwarder.ForwardAsync(context, route);
        if (!route.RequiresUser && !CarriesCredentials(request)) return AdmitAnonymousAndForward(context, route, route.RateLimiter!);
        return AdmitAndForwardAsync(context, route);
    }

    /// <summary>An anonymous caller on a rate-limited route, without an async step of its own: the limiters are fixed
    /// windows, whose permits are spent when acquired and never given back, so the lease holds nothing to keep until
    /// the response is done.</summary>
    private Task AdmitAnonymousAndForward(HttpContext context, ProxyRoute route, PartitionedRateLimiter<RateLimitClient> limiter)
    {
        using var lease = limiter.AttemptAcquire(RateLimitClient.Of(null, context));
        return lease.IsAcquired ? forwarder.ForwardAsync(context, route) : RouteRateLimiters.RejectAsync(context, lease);
    }

    private async Task AdmitAndForwardAsync(HttpContext context, ProxyRoute route)
    {
        ClaimsPrincipal? user = null;
        if (route.RequiresUser || CarriesCredentials(context.Request))
        {
            var result = await context.AuthenticateAsync();
            if (result is { Succeeded: true, Principal.Identity.IsAuthenticated: true }) context.User = user = result.Principal;
        }

        if (route.RequiresUser && user is null)
        {
            // the scheme's challenge sets 401 and WWW-Authenticate (with the reason a token was refused)
            await context.ChallengeAsync();
            await Problems.Create(StatusCodes.Status401Unauthorized, "unauthorized", "A valid access token is required.")
                .ExecuteAsync(context);
            return;
        }

        if (route.RateLimiter is not { } limiter)
        {
            await forwarder.ForwardAsync(context, route);
            return;
        }

        using var lease = limiter.AttemptAcquire(RateLimitClient.Of(user, context));
        if (lease.IsAcquired) await forwarder.ForwardAsync(context, route);
        else await RouteRateLimiters.RejectAsync(context, lease);
    }

    /// <summary>Whether there is a token to validate: in the Authorization header, or in the query string where
    /// browsers put it for WebSocket upgrades.</summary>
    private static bool CarriesCredentials(HttpRequest request) =>
        request.Headers.Authorization.Count > 0 || (request.QueryString.HasValue && request.Query.ContainsKey(AccessTokenQuery));

    private Task MethodNotAllowedAsync(HttpContext context, string path)
    {
        context.Response.Headers[HeaderNames.Allow] = string.Join(", ", routes.MethodsFor(path));
        return Problems.Create(StatusCodes.Status405MethodNotAllowed, "method-not-allowed",
            $"The route does not take {context.Request.Method}.").ExecuteAsync(context);
    }
}
