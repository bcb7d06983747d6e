using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace LiveMicro.Gateway.Forwarding;

/// <summary>Which headers cross the gateway. Hop-by-hop headers (RFC 9110 section 7.6.1) describe one connection
/// and stop here, except the Upgrade handshake of a WebSocket; client-sent X-Forwarded-* are replaced because the
/// gateway is the edge and nothing before it is trusted.</summary>
internal static class ProxyHeaders
{
    public const string RequestId = "X-Request-Id";
    private const string ForwardedFor = "X-Forwarded-For";
    private const string ForwardedProto = "X-Forwarded-Proto";
    private const string ForwardedHost = "X-Forwarded-Host";
    private const int MaxRequestIdLength = 128;

    public static void CopyRequestHeaders(HttpContext context, HttpRequestMessage request, bool isUpgrade)
    {
        var headers = context.Request.Headers;
        var connection = headers.Connection;
        foreach (var (name, values) in headers)
        {
            if (IsHopByHop(name, connection) && !(isUpgrade && IsUpgradeHandshake(name))) continue;
            if (IsReplacedByGateway(name)) continue;
            if (IsContentHeader(name))
            {
                if (request.Content is { } content) Add(content.Headers, name, values);
            }
            else
            {
                Add(request.Headers, name, values);
            }
        }

        if (isUpgrade)
        {
            // 'Connection: keep-alive, Upgrade' from browsers has to arrive as exactly what the destination expects
            request.Headers.Connection.Clear();
            request.Headers.TryAddWithoutValidation(HeaderNames.Connection, "Upgrade");
        }

        var remoteAddress = context.Connection.RemoteIpAddress;
        if (remoteAddress is not null)
        {
            request.Headers.TryAddWithoutValidation(ForwardedFor,
                remoteAddress.IsIPv4MappedToIPv6 ? remoteAddress.MapToIPv4().ToString() : remoteAddress.ToString());
        }

        request.Headers.TryAddWithoutValidation(ForwardedProto, context.Request.Scheme);
        if (context.Request.Host.HasValue) request.Headers.TryAddWithoutValidation(ForwardedHost, context.Request.Host.Value);
        request.Headers.TryAddWithoutValidation(RequestId, RequestIdOf(context));
    }

    public static void CopyResponseHeaders(HttpResponseMessage response, HttpResponse target)
    {
        var isUpgrade = response.StatusCode == HttpStatusCode.SwitchingProtocols;
        var connection = response.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var connectionValues)
            ? new StringValues(connectionValues.ToArray())
            : StringValues.Empty;
        CopyFrom(response.Headers.NonValidated, target.Headers, connection, isUpgrade);
        CopyFrom(response.Content.Headers.NonValidated, target.Headers, connection, isUpgrade);
        target.Headers[RequestId] = RequestIdOf(target.HttpContext);
    }

    /// <summary>The client's request id when it sent a sane one (so it can correlate), else the gateway's own.</summary>
    public static string RequestIdOf(HttpContext context) =>
        context.Request.Headers[RequestId] is [{ Length: > 0 and <= MaxRequestIdLength } id] ? id : context.TraceIdentifier;

    private static void CopyFrom(HttpHeadersNonValidated source, IHeaderDictionary target, StringValues connection, bool isUpgrade)
    {
        foreach (var (name, values) in source)
        {
            // Kestrel writes its own Connection and framing; Upgrade and Sec-WebSocket-* complete the handshake
            if (IsHopByHop(name, connection) && !(isUpgrade && name.Equals(HeaderNames.Upgrade, StringComparison.OrdinalIgnoreCase))) continue;
            target[name] = values.Count == 1 ? new StringValues(values.ToString()) : new StringValues(values.ToArray());
        }
    }

    private static void Add(HttpHeaders target, string name, StringValues values)
    {
        if (values.Count == 1) target.TryAddWithoutValidation(name, values.ToString());
        else target.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
    }

    private static bool IsHopByHop(string name, StringValues connection) =>
        name.Equals(HeaderNames.Connection, StringComparison.OrdinalIgnoreCase) ||
        name.Equals(HeaderNames.KeepAlive, StringComparison.OrdinalIgnoreCase) ||
        name.Equals(HeaderNames.TransferEncoding, StringComparison.OrdinalIgnoreCase) ||
        name.Equals(HeaderNames.Upgrade, StringComparison.OrdinalIgnoreCase) ||
        name.Equals(HeaderNames.TE, StringComparison.OrdinalIgnoreCase) ||
        name.Equals(HeaderNames.Trailer, StringComparison.OrdinalIgnoreCase) ||
        name.Equals(HeaderNames.ProxyAuthenticate, StringComparison.OrdinalIgnoreCase) ||
        name.Equals(HeaderNames.ProxyAuthorization, StringComparison.OrdinalIgnoreCase) ||
        name.Equals("Proxy-Connection", StringComparison.OrdinalIgnoreCase) ||
        (connection.Count > 0 && IsListedIn(connection, name));

    /// <summary>Headers a sender names in its Connection header are hop-by-hop too.</summary>
    private static bool IsListedIn(StringValues connection, string name)
    {
        foreach (var value in connection)
        {
            foreach (var token in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (token.Equals(name, StringComparison.OrdinalIgnoreCase)) return true;
            }
        }

        return false;
    }

    private static bool IsUpgradeHandshake(string name) =>
        name.Equals(HeaderNames.Upgrade, StringComparison.OrdinalIgnoreCase) ||
        name.Equals(HeaderNames.Connection, StringComparison.OrdinalIgnoreCase);

    private static bool IsReplacedByGateway(string name) =>
        name.Equals(HeaderNames.Host, StringComparison.OrdinalIgnoreCase) ||
        name.Equals(ForwardedFor, StringComparison.OrdinalIgnoreCase) ||
        name.Equals(ForwardedProto, StringComparison.OrdinalIgnoreCase) ||
        name.Equals(ForwardedHost, StringComparison.OrdinalIgnoreCase) ||
        name.Equals(RequestId, StringComparison.OrdinalIgnoreCase);

    private static bool IsContentHeader(string name) =>
        name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) ||
        name.Equals(HeaderNames.Expires, StringComparison.OrdinalIgnoreCase) ||
        name.Equals(HeaderNames.LastModified, StringComparison.OrdinalIgnoreCase) ||
        name.Equals(HeaderNames.Allow, StringComparison.OrdinalIgnoreCase);
}
