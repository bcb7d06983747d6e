using System.Buffers;
using System.Text;
using LiveMicro.Gateway.Upstream;

namespace LiveMicro.Gateway.Connections;

public enum DirectRequestHeadResult
{
    /// <summary>The head has not arrived whole yet.</summary>
    Incomplete,

    /// <summary>A plain GET the direct path takes.</summary>
    Parsed,

    /// <summary>Anything else: Kestrel reads it, and answers it or refuses it.</summary>
    NotDirect,
}

/// <summary>An HTTP/1.1 request head (RFC 9112 sections 3 and 5) read for the direct path, which takes only the
/// plainest requests: GET, an origin-form target of characters that need no decoding and no dot segments, exactly one
/// Host, no body framing, no Expect, no Upgrade, no Connection other than keep-alive, field values of visible ASCII.
/// Every other head, malformed ones included, is <see cref="DirectRequestHeadResult.NotDirect"/> and goes to Kestrel
/// untouched, so the gateway's answer to anything unusual is Kestrel's. Offsets point into the parsed input.</summary>
public sealed class DirectRequestHead
{
    /// <summary>A longer head goes to Kestrel, whose limits (and 431) apply.</summary>
    public const int MaxLength = 8 * 1024;

    public const int MaxFields = 64;

    private const int MaxRequestIdLength = 128;

    // RFC 3986 pchar without pct-encoded, and '/': what needs no decoding and comes out of Kestrel's
    // PathString.ToUriComponent unchanged
    private static readonly SearchValues<byte> PathBytes =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/"u8);

    // RFC 9110 section 5.6.2 tchar
    private static readonly SearchValues<byte> TokenBytes =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~"u8);

    // field values: visible ASCII, space and tab
    private static readonly SearchValues<byte> VisibleAsciiOrWhitespace = SearchValues.Create(
        Enumerable.Range(0x20, 0x7F - 0x20).Select(b => (byte)b).Append((byte)'\t').ToArray());

    private static ReadOnlySpan<byte> RequestLineStart => "GET /"u8;

    private readonly HeaderField[] _fields = new HeaderField[MaxFields];

    /// <summary>The path, from its first '/' up to the query or the end of the target.</summary>
    public Range Path { get; private set; }

    /// <summary>The query with its '?', or empty.</summary>
    public Range Query { get; private set; }

    public int FieldCount { get; private set; }

    public ReadOnlySpan<HeaderField> Fields => _fields.AsSpan(0, FieldCount);

    public int HostField { get; private set; }

    /// <summary>The client's X-Request-Id when it sent exactly one of a usable length, else -1.</summary>
    public int RequestIdField { get; private set; }

    /// <summary>An Authorization field, or an access_token in the query (how browsers send a token on a WebSocket).</summary>
    public bool CarriesCredentials { get; private set; }

    public DirectRequestHeadResult TryParse(ReadOnlySpan<byte> input, out int headLength)
    {
        headLength = 0;
        // what cannot become a GET is Kestrel's at once, before its head is whole: a TLS handshake (on an HTTPS
        // endpoint this middleware runs ahead of TLS) waits for the server's answer and never completes a head
        var start = Math.Min(input.Length, RequestLineStart.Length);
        if (!input[..start].SequenceEqual(RequestLineStart[..start])) return DirectRequestHeadResult.NotDirect;
        var end = input.IndexOf("\r\n\r\n"u8);
        if (end < 0) return input.Length >= MaxLength ? DirectRequestHeadResult.NotDirect : DirectRequestHeadResult.Incomplete;
        if (end + 4 > MaxLength) return DirectRequestHeadResult.NotDirect;
        if (!TryParseRequestLine(input, out var position) || !TryParseFields(input, position, end + 2))
            return DirectRequestHeadResult.NotDirect;
        headLength = end + 4;
        return DirectRequestHeadResult.Parsed;
    }

    /// <summary><c>GET {path}[?{query}] HTTP/1.1</c> CRLF.</summary>
    private bool TryParseRequestLine(ReadOnlySpan<byte> input, out int position)
    {
        position = 0;
        if (!input.StartsWith(RequestLineStart)) return false;
        var pathStart = 4;
        var pathLength = input[pathStart..].IndexOfAnyExcept(PathBytes);
        if (pathLength < 0) return false;
        var pathEnd = pathStart + pathLength;
        if (HasDotSegment(input[pathStart..pathEnd])) return false;
        var queryEnd = pathEnd;
        if (input[pathEnd] == '?')
        {
            // the query goes on as it came, as Kestrel's QueryString does; only visible ASCII, no fragment
            var queryLength = input[(pathEnd + 1)..].IndexOfAnyExceptInRange((byte)'!', (byte)'~');
            if (queryLength < 0) return false;
            queryEnd = pathEnd + 1 + queryLength;
            if (input[(pathEnd + 1)..queryEnd].Contains((byte)'#')) return false;
        }

        if (!input[queryEnd..].StartsWith(" HTTP/1.1\r\n"u8)) return false;
        Path = pathStart..pathEnd;
        Query = pathEnd..queryEnd;
        CarriesCredentials = HasAccessToken(input[Query]);
        position = queryEnd + 11;
        return true;
    }

    /// <summary>The fields from <paramref name="position"/> to <paramref name="end"/> (where the empty line starts).</summary>
    private bool TryParseFields(ReadOnlySpan<byte> input, int position, int end)
    {
        FieldCount = 0;
        HostField = -1;
        RequestIdField = -1;
        var requestIds = 0;
        while (position < end)
        {
            if (FieldCount == MaxFields) return false;
            var line = input[position..end];
            var nameLength = line.IndexOfAnyExcept(TokenBytes);
            if (nameLength <= 0 || line[nameLength] != ':') return false;
            var valueStart = nameLength + 1;
            while (line[valueStart] is (byte)' ' or (byte)'\t') valueStart++;
            // visible ASCII, space and tab only: no obs-text, no bare CR or LF, no NUL
            var valueLength = line[valueStart..].IndexOfAnyExcept(VisibleAsciiOrWhitespace);
            if (valueLength < 0 || line[valueStart + valueLength] != '\r' || line[valueStart + valueLength + 1] != '\n') return false;
            var lineLength = valueStart + valueLength + 2;
            while (valueLength > 0 && line[valueStart + valueLength - 1] is (byte)' ' or (byte)'\t') valueLength--;

            var name = line[..nameLength];
            var value = line.Slice(valueStart, valueLength);
            if (Ascii.EqualsIgnoreCase(name, "Host"u8))
            {
                if (HostField >= 0 || value.IsEmpty) return false;
                HostField = FieldCount;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8) || Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8) ||
                     Ascii.EqualsIgnoreCase(name, "Expect"u8) || Ascii.EqualsIgnoreCase(name, "Upgrade"u8) ||
                     // a browser's cross-origin request: Kestrel's path, where CORS answers it
                     Ascii.EqualsIgnoreCase(name, "Origin"u8))
            {
                return false;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                if (!Ascii.EqualsIgnoreCase(value, "keep-alive"u8)) return false;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Authorization"u8))
            {
                CarriesCredentials = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "X-Request-Id"u8))
            {
                requestIds++;
                RequestIdField = FieldCount;
            }

            _fields[FieldCount++] = new HeaderField(position, nameLength, position + valueStart, valueLength);
            position += lineLength;
        }

        if (requestIds != 1 || _fields[RequestIdField].ValueLength is 0 or > MaxRequestIdLength) RequestIdField = -1;
        return HostField >= 0;
    }

    /// <summary>A "." or ".." segment, which Kestrel would remove before routing.</summary>
    private static bool HasDotSegment(ReadOnlySpan<byte> path)
    {
        var start = 0;
        while (start < path.Length)
        {
            var length = path[(start + 1)..].IndexOf((byte)'/');
            var segment = length < 0 ? path[(start + 1)..] : path.Slice(start + 1, length);
            if (segment.SequenceEqual("."u8) || segment.SequenceEqual(".."u8)) return true;
            if (length < 0) break;
            start += length + 1;
        }

        return false;
    }

    private static bool HasAccessToken(ReadOnlySpan<byte> query)
    {
        if (query.IsEmpty) return false;
        foreach (var range in query[1..].Split((byte)'&'))
        {
            if (query[1..][range].StartsWith("access_token="u8)) return true;
        }

        return false;
    }
}
