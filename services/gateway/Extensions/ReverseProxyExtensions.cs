using LiveMicro.Discovery;
using LiveMicro.Gateway.Connections;
using LiveMicro.Gateway.Clusters;
using LiveMicro.Gateway.Configuration;
using LiveMicro.Gateway.Discovery;
using LiveMicro.Gateway.Forwarding;
using LiveMicro.Gateway.HealthChecks;
using LiveMicro.Gateway.RateLimiting;
using LiveMicro.Gateway.Routing;
using LiveMicro.Gateway.Transport;
using LiveMicro.Gateway.Upstream;
using LiveMicro.ServiceDefaults;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
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
        // the destination decides how large a body it takes; the gateway streams, so it needs no limit of its own
        builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        // Kestrel runs a request on the socket thread that read it instead of handing it to the thread pool (see
        // InlineSocketCompletions): the proxy path never blocks, it awaits, and on a busy core the hand-off cost more
        // than the work. bench/gateway: 25 µs of kernel time per request inline against 31 with the hand-off.
        // Kestrel also reads straight into a buffer instead of peeking for a byte first: one receive call fewer per
        // request, for a 4 KiB buffer held by each idle keep-alive connection.
        builder.Services.Configure<SocketTransportOptions>(sockets =>
        {
            sockets.UnsafePreferInlineScheduling = true;
            sockets.WaitForDataBeforeAllocatingBuffer = false;
        });
        // Kestrel takes the transport registered last: the gateway's loops or Kestrel's sockets, either kept to the
        // connection budget where it accepts; destinations read the same setting (DestinationFactory)
        builder.Services.AddValidatedOptions<SocketLoopOptions>(SocketLoopOptions.SectionName);
        var socketLoop = builder.Configuration.GetSection(SocketLoopOptions.SectionName).Get<SocketLoopOptions>() ?? new SocketLoopOptions();
        builder.Services.AddValidatedOptions<ClientConnectionOptions>(ClientConnectionOptions.SectionName);
        builder.Services.AddSingleton<ConnectionBudget>();
        builder.Services.AddSingleton<IConnectionListenerFactory>(services => new BudgetedConnectionListenerFactory(socketLoop.IsActive
                ? ActivatorUtilities.CreateInstance<LoopConnectionListenerFactory>(services)
                : ActivatorUtilities.CreateInstance<SocketTransportFactory>(services),
            services.GetRequiredService<ConnectionBudget>()));

        builder.Services.AddHostedService<RedisConnectionWarmup>();
        AddCrossOrigin(builder);
        if (builder.Configuration.GetValue("DirectForwarding:Enabled", true))
        {
            builder.Services.AddSingleton<DirectForwarding>();
            builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.ConfigureEndpointDefaults(listen =>
            {
                var direct = listen.ApplicationServices.GetRequiredService<DirectForwarding>();
                listen.Use(next => connection => direct.OnConnectionAsync(connection, next));
            }));
        }


        builder.Services.AddSingleton<UpgradeHttpInvoker>();
        builder.Services.AddSingleton<HttpForwarder>();
        builder.Services.AddSingleton<UpstreamDeadlineSweep>();
        builder.Services.AddSingleton<DestinationFactory>();
        builder.Services.AddSingleton<ClusterRegistry>();
        builder.Services.AddSingleton<RouteRateLimiters>();
        builder.Services.AddSingleton<ProxyRouteTable>();
        builder.Services.AddHttpClient(ActiveHealthChecker.HttpClientName);
        builder.Services.AddHostedService<ActiveHealthChecker>();
        builder.AddEtcdClient();
        builder.Services.AddHostedService<EtcdDestinationWatcher>();
        return builder;
    }

    /// <summary>One policy for every route from <c>Cors</c>: any method and request header, the response headers a
    /// browser client needs to read (a WHIP session's Location, Retry-After, the request id).</summary>
    private static void AddCrossOrigin(IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<CrossOriginOptions>(CrossOriginOptions.SectionName);
        builder.Services.AddCors();
        builder.Services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>()
            .Configure<IOptions<CrossOriginOptions>>((cors, settings) => cors.AddDefaultPolicy(policy =>
            {
                var origins = settings.Value.AllowedOrigins;
                if (origins.Contains("*")) policy.AllowAnyOrigin();
                else policy.WithOrigins(origins);
                policy.AllowAnyMethod().AllowAnyHeader()
                    .WithExposedHeaders("Location", "Retry-After", "X-Request-Id", "WWW-Authenticate")
                    .SetPreflightMaxAge(settings.Value.PreflightMaxAge);
            }));
    }

    /// <summary>The proxy, first in the pipeline (after CORS, when origins are configured: a preflight is answered
    /// here, and the headers go on every response): routed requests are matched, admitted (token, rate limit) and
    /// forwarded there and go no further; the rest goes on to endpoint routing and the default middleware.</summary>
    public static WebApplication UseReverseProxy(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<CrossOriginOptions>>().Value.AllowedOrigins.Length > 0) app.UseCors();
        app.UseMiddleware<ReverseProxyMiddleware>();
        // called here so that routing runs after the proxy, not ahead of it, where the host would put it
        app.UseRouting();
        return app;
    }
}
