using System.Buffers;
using System.Collections.Frozen;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LiveMicro.Gateway.Connections;
using LiveMicro.Gateway.Upstream;
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
    private static ReadOnlySpan<byte> RequestIdBytes => "X-Request-Id"u8;
    private static ReadOnlySpan<byte> ForwardedForBytes => "X-Forwarded-For"u8;
    private static ReadOnlySpan<byte> ForwardedProtoBytes => "X-Forwarded-Proto"u8;
    private static ReadOnlySpan<byte> ForwardedHostBytes => "X-Forwarded-Host"u8;

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

    /// <summary>The request line and head for a destination reached over <see cref="UpstreamConnectionPool"/>: the
    /// client's path and query under the destination's base path, its end-to-end headers, the framing of its body
    /// (its own Content-Length, else chunked) and the gateway's X-Forwarded-* and request id.</summary>
    public static void WriteRequestHead(HttpContext context, IBufferWriter<byte> writer, UpstreamConnectionPool destination, bool hasBody)
    {
        var request = context.Request;
        RequestHeadWriter.WriteRequestLine(writer, request.Method, destination.BasePath, request.Path.ToUriComponent(), request.QueryString.ToUriComponent());
        RequestHeadWriter.WriteField(writer, HeaderNames.Host, destination.Authority);
        var headers = request.Headers;
        var connection = headers.Connection;
        foreach (var (name, values) in headers)
        {
            if (!ForwardsRequestHeader(name, connection, isUpgrade: false, hasBody)) continue;
            if (name.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase)) continue;
            RequestHeadWriter.WriteField(writer, name, values,
                name.Equals(HeaderNames.Cookie, StringComparison.OrdinalIgnoreCase) ? "; " : ", ");
        }

        if (hasBody)
        {
            if (request.ContentLength is { } length) RequestHeadWriter.WriteField(writer, "Content-Length"u8, length);
            else RequestHeadWriter.WriteField(writer, HeaderNames.TransferEncoding, "chunked");
        }

        if (ForwardedForOf(context) is { } forwardedFor) RequestHeadWriter.WriteField(writer, ForwardedFor, forwardedFor);
        RequestHeadWriter.WriteField(writer, ForwardedProto, request.Scheme);
        if (request.Host.HasValue) RequestHeadWriter.WriteField(writer, ForwardedHost, request.Host.Value);
        RequestHeadWriter.WriteField(writer, RequestId, RequestIdOf(context));
        RequestHeadWriter.WriteEnd(writer);
    }

    /// <summary>A WebSocket upgrade's headers, its handshake included; for a WebSocket opened over HTTP/2, the
    /// HTTP/1.1 handshake it stands for (RFC 8441 section 5).</summary>
    public static void CopyUpgradeRequestHeaders(HttpContext context, HttpRequestMessage request, bool overHttp2)
    {
        var headers = context.Request.Headers;
        var connection = headers.Connection;
        foreach (var (name, values) in headers)
        {
            if (!ForwardsRequestHeader(name, connection, isUpgrade: true, hasBody: false)) continue;
            if (values.Count == 1) request.Headers.TryAddWithoutValidation(name, values.ToString());
            else request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }

        // 'Connection: keep-alive, Upgrade' from browsers has to arrive as exactly what the destination expects
        request.Headers.Connection.Clear();
        request.Headers.TryAddWithoutValidation(HeaderNames.Connection, "Upgrade");
        if (overHttp2)
        {
            request.Headers.TryAddWithoutValidation(HeaderNames.Upgrade, "websocket");
            request.Headers.TryAddWithoutValidation(HeaderNames.SecWebSocketKey, WebSocketConnect.NewKey());
        }

        if (ForwardedForOf(context) is { } forwardedFor) request.Headers.TryAddWithoutValidation(ForwardedFor, forwardedFor);
        request.Headers.TryAddWithoutValidation(ForwardedProto, context.Request.Scheme);
        if (context.Request.Host.HasValue) request.Headers.TryAddWithoutValidation(ForwardedHost, context.Request.Host.Value);
        request.Headers.TryAddWithoutValidation(RequestId, RequestIdOf(context));
    }

    /// <summary>The end-to-end headers of a response read by an <see cref="UpstreamConnection"/>; Kestrel writes its
    /// own framing, from the Content-Length given here or else chunked.</summary>
    public static void CopyResponseHeaders(UpstreamConnection connection, HttpResponse target)
    {
        var head = connection.Head;
        var headers = target.Headers;
        var connectionValue = head.ConnectionField >= 0 ? connection.FieldValueBytes(head.ConnectionField) : default;
        for (var i = 0; i < head.FieldCount; i++)
        {
            var name = connection.FieldName(i);
            var role = RoleOf(name);
            if (role is Role.HopByHop or Role.UpgradeHandshake) continue;
            if (!connectionValue.IsEmpty && ResponseHeadParser.ListsToken(connectionValue, connection.FieldNameBytes(i))) continue;
            if (name.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase)) continue;
            var value = connection.FieldValue(i);
            headers[name] = headers.TryGetValue(name, out var earlier) ? StringValues.Concat(earlier, value) : new StringValues(value);
        }

        if (head.ContentLength >= 0 && !head.HasTransferEncoding && head.StatusCode is >= 200 and not 204 and not 304)
            target.ContentLength = head.ContentLength;
        headers[RequestId] = RequestIdOf(target.HttpContext);
    }

    /// <summary>The head for a destination of a GET read off the connection by the direct path: what
    /// <see cref="WriteRequestHead(HttpContext, IBufferWriter{byte}, UpstreamConnectionPool, bool)"/> writes for a
    /// request Kestrel parsed, each of the client's field lines as it came (a GET has no body, so no content
    /// fields).</summary>
    public static void WriteRequestHead(DirectRequestHead head, ReadOnlySpan<byte> source, IBufferWriter<byte> writer,
        UpstreamConnectionPool destination, ReadOnlySpan<byte> forwardedFor, ReadOnlySpan<byte> requestId)
    {
        var builder = new HeadBuilder(writer, source.Length + destination.Authority.Length + destination.BasePath.Length +
            forwardedFor.Length + requestId.Length + 128);
        RequestHeadWriter.WriteRequestLine(ref builder, "GET"u8, destination.BasePath, source[head.Path], source[head.Query]);
        builder.Write("Host: "u8);
        builder.Write(destination.Authority);
        builder.Write("\r\n"u8);
        foreach (var field in head.Fields)
        {
            var name = source.Slice(field.NameStart, field.NameLength);
            if (RoleOf(name) is not null) continue;
            builder.WriteField(name, source.Slice(field.ValueStart, field.ValueLength));
        }

        builder.WriteField(ForwardedForBytes, forwardedFor);
        builder.WriteField(ForwardedProtoBytes, "http"u8);
        var host = head.Fields[head.HostField];
        builder.WriteField(ForwardedHostBytes, source.Slice(host.ValueStart, host.ValueLength));
        builder.WriteField(RequestIdBytes, requestId);
        builder.Write("\r\n"u8);
        builder.Commit();
    }

    /// <summary>The head the direct path's client gets for the response <paramref name="connection"/> read: the
    /// fields <see cref="CopyResponseHeaders"/> gives Kestrel, written as they came, with the framing Kestrel would
    /// choose. True when the body has to go chunked.</summary>
    public static bool WriteResponseHead(UpstreamConnection connection, IBufferWriter<byte> writer,
        ReadOnlySpan<byte> requestId, ReadOnlySpan<byte> dateField)
    {
        var head = connection.Head;
        var builder = new HeadBuilder(writer, connection.HeadLength + dateField.Length + requestId.Length + 128);
        builder.Write(StatusLines.Of(head.StatusCode));
        var connectionValue = head.ConnectionField >= 0 ? connection.FieldValueBytes(head.ConnectionField) : default;
        var hasDate = false;
        for (var i = 0; i < head.FieldCount; i++)
        {
            var name = connection.FieldNameBytes(i);
            var role = RoleOf(name);
            if (role is Role.HopByHop or Role.UpgradeHandshake) continue;
            if (!connectionValue.IsEmpty && ResponseHeadParser.ListsToken(connectionValue, name)) continue;
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8) || Ascii.EqualsIgnoreCase(name, RequestIdBytes)) continue;
            hasDate |= Ascii.EqualsIgnoreCase(name, "Date"u8);
            builder.WriteField(name, connection.FieldValueBytes(i));
        }

        var chunked = false;
        if (head.ContentLength >= 0 && !head.HasTransferEncoding && head.StatusCode is >= 200 and not 204 and not 304)
        {
            builder.WriteField("Content-Length"u8, head.ContentLength);
        }
        else if (head.FramingFor(isHeadRequest: false) != BodyFraming.None)
        {
            builder.WriteField("Transfer-Encoding"u8, "chunked"u8);
            chunked = true;
        }

        if (!hasDate) builder.Write(dateField);
        builder.WriteField(RequestIdBytes, requestId);
        builder.Write("\r\n"u8);
        builder.Commit();
        return chunked;
    }

    /// <summary>The answer to a WebSocket upgrade; over HTTP/2 without the HTTP/1.1 handshake's Upgrade and
    /// Sec-WebSocket-Accept, which HTTP/2 has no place for (RFC 8441 section 5).</summary>
    public static void CopyUpgradeResponseHeaders(HttpResponseMessage response, HttpResponse target, bool overHttp2)
    {
        var isUpgrade = response.StatusCode == HttpStatusCode.SwitchingProtocols && !overHttp2;
        var connection = response.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var connectionValues)
            ? new StringValues(connectionValues.ToArray())
            : StringValues.Empty;
        CopyFrom(response.Headers.NonValidated, target.Headers, connection, isUpgrade);
        CopyFrom(response.Content.Headers.NonValidated, target.Headers, connection, isUpgrade);
        if (overHttp2) target.Headers.Remove(HeaderNames.SecWebSocketAccept);
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

    private static bool ForwardsRequestHeader(string name, StringValues connection, bool isUpgrade, bool hasBody)
    {
        var role = RoleOf(name);
        if (role is Role.HopByHop or Role.ReplacedByGateway || (role is Role.UpgradeHandshake && !isUpgrade)) return false;
        if (role is not Role.UpgradeHandshake && connection.Count > 0 && IsListedIn(connection, name)) return false;
        return role is not Role.Content || hasBody;
    }

    // IPAddress keeps its string once made, and Kestrel keeps the address for the connection's life
    private static string? ForwardedForOf(HttpContext context) =>
        context.Connection.RemoteIpAddress is not { } address ? null
        : address.IsIPv4MappedToIPv6 ? address.MapToIPv4().ToString()
        : address.ToString();

    private static readonly FrozenDictionary<string, Role>.AlternateLookup<ReadOnlySpan<char>> RolesBySpan =
        Roles.GetAlternateLookup<ReadOnlySpan<char>>();

    private static Role? RoleOf(ReadOnlySpan<byte> name)
    {
        const int LongestKnownName = 32;
        if (name.Length <= LongestKnownName)
        {
            Span<char> chars = stackalloc char[LongestKnownName];
            var length = Encoding.Latin1.GetChars(name, chars);
            if (RolesBySpan.TryGetValue(chars[..length], out var role)) return role;
        }

        return name.Length >= 8 && Ascii.EqualsIgnoreCase(name[..8], "Content-"u8) ? Role.Content : null;
    }

    private static Role? RoleOf(string name) =>
        Roles.TryGetValue(name, out var role) ? role
        : name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) ? Role.Content
        : null;

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
