using System.Net;
using LiveMicro.Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace LiveMicro.Gateway.Forwarding;

/// <summary>WebSocket upgrades, each on a connection of its own: a connection that answered an upgrade becomes the
/// tunnel and is never pooled, and one that refused it is not kept either. Like a browser's WebSocket, the upgrade is
/// then the first request on its connection, which is what lets the chat take its sockets over before HTTP. A bare
/// invoker, not an HttpClient: nothing buffers, redirects, decompresses, keeps cookies or goes through a system
/// proxy on the way.</summary>
public sealed class UpgradeHttpInvoker(IOptions<ResilienceOptions> options) : HttpMessageInvoker(
    new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = options.Value.ConnectTimeout,
        PooledConnectionIdleTimeout = TimeSpan.Zero,
        // the request already carries the client's trace context when it has one; do not add a second
        ActivityHeadersPropagator = null,
    }, disposeHandler: true);
