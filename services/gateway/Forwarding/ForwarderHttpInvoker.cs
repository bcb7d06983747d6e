using System.Net;
using LiveMicro.Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace LiveMicro.Gateway.Forwarding;

/// <summary>The one connection pool every forwarded request goes through. A bare invoker, not an HttpClient:
/// nothing buffers, redirects, decompresses, keeps cookies or goes through a system proxy on the way.</summary>
public sealed class ForwarderHttpInvoker(IOptions<ResilienceOptions> options) : HttpMessageInvoker(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    AutomaticDecompression = DecompressionMethods.None,
    UseCookies = false,
    EnableMultipleHttp2Connections = true,
    ConnectTimeout = options.Value.ConnectTimeout,
    PooledConnectionLifetime = options.Value.PooledConnectionLifetime,
    // the request already carries the client's trace context when it has one; do not add a second
    ActivityHeadersPropagator = null,
}, disposeHandler: true);
