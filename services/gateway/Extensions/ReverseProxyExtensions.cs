using LiveMicro.Discovery;
using LiveMicro.Gateway.Clusters;
using LiveMicro.Gateway.Configuration;
using LiveMicro.Gateway.Discovery;
using LiveMicro.Gateway.Forwarding;
using LiveMicro.Gateway.HealthChecks;
using LiveMicro.Gateway.RateLimiting;
using LiveMicro.Gateway.Routing;
using LiveMicro.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace LiveMicro.Gateway.Extensions;

public static class ReverseProxyExtensions
{
    /// <summary>Routes and clusters from <c>ReverseProxy</c>, the forwarder, per-destination breakers, active health
    /// checks, etcd discovery (<c>Discovery</c>) and the rate-limit policies (<c>RateLimits</c>).</summary>
    public static IHostApplicationBuilder AddReverseProxy(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<ReverseProxyOptions>(ReverseProxyOptions.SectionName);
        builder.Services.AddSingleton<IValidateOptions<ReverseProxyOptions>, ReverseProxyOptionsValidator>();
        builder.Services.AddValidatedOptions<ResilienceOptions>(ResilienceOptions.SectionName);
        builder.Services.AddValidatedOptions<RateLimitOptions>(RateLimitOptions.SectionName)
            .Validate(o => o.Policies.Values.All(p => p.PermitLimit > 0 && p.Window > TimeSpan.Zero),
                "Every RateLimits:Policies entry needs a positive PermitLimit and Window.");

        builder.Services.AddSingleton<ForwarderHttpInvoker>();
        builder.Services.AddSingleton<HttpForwarder>();
        builder.Services.AddSingleton<DestinationFactory>();
        builder.Services.AddSingleton<ClusterRegistry>();
        builder.Services.AddHttpClient(ActiveHealthChecker.HttpClientName);
        builder.Services.AddHostedService<ActiveHealthChecker>();
        builder.AddEtcdClient();
        builder.Services.AddHostedService<EtcdDestinationWatcher>();
        builder.AddGatewayRateLimiting();
        return builder;
    }

    /// <summary>The rate limiter (after authentication, so signed-in users count as themselves) and one endpoint per
    /// route.</summary>
    public static WebApplication MapReverseProxy(this WebApplication app)
    {
        app.UseRateLimiter();
        app.MapProxyRoutes();
        return app;
    }
}
