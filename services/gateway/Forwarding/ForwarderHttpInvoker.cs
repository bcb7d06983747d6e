using System.Net;
using LiveMicro.Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace LiveMicro.Gateway.Forwarding;

/// <summary>The one connection pool every forwarded request goes through. A bare invoker, not an HttpClient:
/// nothing buffers, redirects, decompresses, keeps cookies or goes through a system proxy on the way.</summary>
public sealed class ForwarderHttpInvoker(IOptions<ResilienceOptions> options) : HttpMessageInvoker(
    ForwardingHandler.Create(options.Value, handler =>
    {
        handler.EnableMultipleHttp2Connections = true;
        handler.PooledConnectionLifetime = options.Value.PooledConnectionLifetime;
    }), disposeHandler: true);

/// <summary>WebSocket upgrades, each on a connection of its own: a connection that answered an upgrade becomes the
/// tunnel and is never pooled, and one that refused it is not kept either. Like a browser's WebSocket, the upgrade is
/// then the first request on its connection, which is what lets the chat take its sockets over before HTTP.</summary>
public sealed class UpgradeHttpInvoker(IOptions<ResilienceOptions> options) : HttpMessageInvoker(
    ForwardingHandler.Create(options.Value, handler => handler.PooledConnectionIdleTimeout = TimeSpan.Zero), disposeHandler: true);

internal static class ForwardingHandler
{
    public static SocketsHttpHandler Create(ResilienceOptions options, Action<SocketsHttpHandler> configure)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = options.ConnectTimeout,
            // the request already carries the client's trace context when it has one; do not add a second
            ActivityHeadersPropagator = null,
        };
        configure(handler);
        return handler;
    }
}
