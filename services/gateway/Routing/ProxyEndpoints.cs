using LiveMicro.Gateway.Clusters;
using LiveMicro.Gateway.Configuration;
using LiveMicro.Gateway.Forwarding;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace LiveMicro.Gateway.Routing;

internal static class ProxyEndpoints
{
    /// <summary>One endpoint per configured route, so ASP.NET routing picks the route (Order, then precedence),
    /// the authorization middleware enforces its policy and the rate limiter its limit, before the forwarder runs.</summary>
    public static IEndpointRouteBuilder MapProxyRoutes(this IEndpointRouteBuilder endpoints)
    {
        var services = endpoints.ServiceProvider;
        var options = services.GetRequiredService<IOptions<ReverseProxyOptions>>().Value;
        var resilience = services.GetRequiredService<IOptions<ResilienceOptions>>().Value;
        var clusters = services.GetRequiredService<ClusterRegistry>();
        var forwarder = services.GetRequiredService<HttpForwarder>();

        foreach (var (routeId, config) in options.Routes)
        {
            var route = new ProxyRoute(routeId, config, clusters.Get(config.ClusterId!),
                RetryPipeline(resilience), TimeoutPipeline(config.Timeout ?? resilience.DefaultTimeout));
            var endpoint = config.Match.Methods is { Count: > 0 } methods
                ? endpoints.MapMethods(config.Match.Path!, methods, context => forwarder.ForwardAsync(context, route))
                : endpoints.Map(config.Match.Path!, context => forwarder.ForwardAsync(context, route));
            endpoint.WithDisplayName($"proxy {routeId}").WithOrder(config.Order ?? 0).ExcludeFromDescription();

            if (config.AuthorizationPolicy == RouteConfig.DefaultPolicy) endpoint.RequireAuthorization();
            else endpoint.AllowAnonymous();

            if (config.RateLimiterPolicy == RouteConfig.DisableRateLimiting) endpoint.DisableRateLimiting();
            else if (config.RateLimiterPolicy is { } policy) endpoint.RequireRateLimiting(policy);
        }

        return endpoints;
    }

    private static ResiliencePipeline<HttpResponseMessage> RetryPipeline(ResilienceOptions resilience) =>
        resilience.MaxRetryAttempts == 0
            ? ResiliencePipeline<HttpResponseMessage>.Empty
            : new ResiliencePipelineBuilder<HttpResponseMessage>()
                .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
                {
                    MaxRetryAttempts = resilience.MaxRetryAttempts,
                    // the next attempt goes to another destination: no reason to wait
                    Delay = TimeSpan.Zero,
                    ShouldHandle = static args => ValueTask.FromResult(
                        args.Context.Properties.TryGetValue(ForwardAttempt.Key, out var attempt) && attempt.CanRetry(args.Outcome)),
                })
                .Build();

    private static ResiliencePipeline<HttpResponseMessage> TimeoutPipeline(TimeSpan timeout) =>
        new ResiliencePipelineBuilder<HttpResponseMessage>().AddTimeout(timeout).Build();
}
