using LiveMicro.Gateway.Forwarding;
using LiveMicro.Gateway.Routing;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace LiveMicro.Gateway.Connections;

/// <summary>The direct path, a Kestrel connection middleware ahead of Kestrel's HTTP/1.1 handling: a plain GET to an
/// anonymous route is forwarded straight from the connection (see <see cref="DirectConnection"/>), skipping the
/// per-request work of Kestrel's HTTP layer and the middleware pipeline (4-5 of the 41-43 µs of CPU a request took,
/// bench/README.md). Everything else reaches Kestrel untouched. <c>DirectForwarding:Enabled</c> false turns it
/// off.</summary>
public sealed class DirectForwarding(ProxyRouteTable routes, HttpForwarder forwarder, IOptions<KestrelServerOptions> kestrel,
    ILogger<DirectForwarding> logger) : IDisposable
{
    private readonly DirectConnectionHeartbeat _heartbeat = new();

    internal ProxyRouteTable Routes => routes;

    internal HttpForwarder Forwarder => forwarder;

    internal KestrelServerLimits Limits => kestrel.Value.Limits;

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate kestrelHttp)
    {
        var direct = new DirectConnection(connection, this);
        _heartbeat.Add(direct);
        try
        {
            await direct.RunAsync(kestrelHttp);
        }
        finally
        {
            _heartbeat.Remove(direct);
        }
    }

    public void Dispose() => _heartbeat.Dispose();

    internal void ForwardingFailed(ProxyRoute route, Exception exception) => HttpForwarder.LogForwardingFailed(logger, route.Id, exception);

    internal void BodyFailed(ProxyRoute route, Exception exception) => HttpForwarder.LogUpstreamBodyFailed(logger, route.Id, exception.Message);
}
