using System.Collections.Frozen;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace LiveMicro.Gateway.Forwarding;

/// <summary>Which headers cross the gateway. Hop-by-hop headers (RFC 9110 section 7.6.1) describe one connection
/// and stop here, except the Upgrade handshake of a WebSocket; client-sent X-Forwarded-* are replaced because the
/// gateway is the edge and nothing before it is trusted. Each header name is looked up once in one table.</summary>
internal static class ProxyHeaders
{
    public const string RequestId = "X-Request-Id";
    private const string ForwardedFor = "X-Forwarded-For";
    private const string ForwardedProto = "X-Forwarded-Proto";
    private const string ForwardedHost = "X-Forwarded-Host";
    private const int MaxRequestIdLength = 128;

    private enum Role
    {
        HopByHop,
        UpgradeHandshake,
        ReplacedByGateway,
        Content,
    }

    private static readonly FrozenDictionary<string, Role> Roles = new Dictionary<string, Role>(StringComparer.OrdinalIgnoreCase)
    {
        [HeaderNames.Connection] = Role.UpgradeHandshake,
        [HeaderNames.Upgrade] = Role.UpgradeHandshake,
        [HeaderNames.KeepAlive] = Role.HopByHop,
        [HeaderNames.TransferEncoding] = Role.HopByHop,
        [HeaderNames.TE] = Role.HopByHop,
        [HeaderNames.Trailer] = Role.HopByHop,
        [HeaderNames.ProxyAuthenticate] = Role.HopByHop,
        [HeaderNames.ProxyAuthorization] = Role.HopByHop,
        ["Proxy-Connection"] = Role.HopByHop,
        [HeaderNames.Host] = Role.ReplacedByGateway,
        [ForwardedFor] = Role.ReplacedByGateway,
        [ForwardedProto] = Role.ReplacedByGateway,
        [ForwardedHost] = Role.ReplacedByGateway,
        [RequestId] = Role.ReplacedByGateway,
        [HeaderNames.Expires] = Role.Content,
        [HeaderNames.LastModified] = Role.Content,
        [HeaderNames.Allow] = Role.Content,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    public static void CopyRequestHeaders(HttpContext context, HttpRequestMessage request, bool isUpgrade)
    {
        var headers = context.Request.Headers;
        var connection = headers.Connection;
        foreach (var (name, values) in headers)
        {
            var role = RoleOf(name);
            if (role is Role.HopByHop || (role is Role.UpgradeHandshake && !isUpgrade) || role is Role.ReplacedByGateway) continue;
            if (role is not Role.UpgradeHandshake && connection.Count > 0 && IsListedIn(connection, name)) continue;
            if (role is Role.Content)
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
            // IPAddress keeps its string once made, and Kestrel keeps the address for the connection's life
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
            var role = RoleOf(name);
            if (role is Role.HopByHop || (role is Role.UpgradeHandshake && !(isUpgrade && name.Equals(HeaderNames.Upgrade, StringComparison.OrdinalIgnoreCase)))) continue;
            if (role is not Role.UpgradeHandshake && connection.Count > 0 && IsListedIn(connection, name)) continue;
            target[name] = values.Count == 1 ? new StringValues(values.ToString()) : new StringValues(values.ToArray());
        }
    }

    private static Role? RoleOf(string name) =>
        Roles.TryGetValue(name, out var role) ? role
        : name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) ? Role.Content
        : null;

    private static void Add(HttpHeaders target, string name, StringValues values)
    {
        if (values.Count == 1) target.TryAddWithoutValidation(name, values.ToString());
        else target.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
    }

    /// <summary>Headers a sender names in its Connection header are hop-by-hop too.</summary>
    private static bool IsListedIn(StringValues connection, string name)
    {
        foreach (var value in connection)
        {
            var tokens = value.AsSpan();
            foreach (var range in tokens.Split(','))
            {
                if (tokens[range].Trim().Equals(name, StringComparison.OrdinalIgnoreCase)) return true;
            }
        }

        return false;
    }
}
