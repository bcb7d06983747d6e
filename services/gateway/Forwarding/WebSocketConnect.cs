using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.Features;

namespace LiveMicro.Gateway.Forwarding;

/// <summary>A WebSocket opened over HTTP/2 (RFC 8441): a CONNECT whose :protocol is websocket, which browsers send
/// once an HTTPS endpoint has offered HTTP/2 (Kestrel announces extended CONNECT). The gateway routes it as the GET
/// upgrade it stands for and forwards it to the destination as one, since destinations speak HTTP/1.1; the client gets
/// 200 and the stream instead of 101 and the connection.</summary>
internal static class WebSocketConnect
{
    public static IHttpExtendedConnectFeature? Of(HttpContext context) =>
        HttpMethods.IsConnect(context.Request.Method)
        && context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect
        && string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase)
            ? connect
            : null;

    /// <summary>The method a route sees: an HTTP/2 WebSocket matches the routes that take the GET upgrade.</summary>
    public static string RoutedMethod(HttpContext context) => Of(context) is null ? context.Request.Method : HttpMethods.Get;

    /// <summary>A Sec-WebSocket-Key for the destination's handshake (RFC 6455 section 4.1): HTTP/2's has none.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
}
