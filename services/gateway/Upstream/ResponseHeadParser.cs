using System.Text;

namespace LiveMicro.Gateway.Upstream;

/// <summary>A response the gateway cannot take from a destination: a malformed head, a bad chunk, a head or chunk
/// line over its limit. The connection it came on is not used again.</summary>
public sealed class UpstreamProtocolException(string message) : Exception(message);

/// <summary>Where one header field lies in the bytes of a parsed head.</summary>
public readonly record struct HeaderField(int NameStart, int NameLength, int ValueStart, int ValueLength);

/// <summary>How the body of a response is delimited (RFC 9112 section 6.3).</summary>
public enum BodyFraming
{
    None,
    ContentLength,
    Chunked,
    UntilClose,
}

/// <summary>Reads an HTTP/1.1 response head: the status line and the header fields up to the empty line. It records
/// where each field lies instead of copying it, and what decides the framing: Content-Length, Transfer-Encoding and
/// Connection. The head is parsed only once it is whole, so a destination that never ends its head costs at most
/// <see cref="MaxHeadLength"/> bytes.</summary>
public sealed class ResponseHeadParser
{
    /// <summary>As SocketsHttpHandler's default MaxResponseHeadersLength: generous for cookies, bounded for memory.</summary>
    public const int MaxHeadLength = 64 * 1024;

    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    private HeaderField[] _fields = new HeaderField[16];

    public int StatusCode { get; private set; }

    /// <summary>The destination answered HTTP/1.0, which closes after each response unless it says keep-alive.</summary>
    public bool IsHttp10 { get; private set; }

    public int FieldCount { get; private set; }

    public ReadOnlySpan<HeaderField> Fields => _fields.AsSpan(0, FieldCount);

    /// <summary>The Content-Length, or -1 when there is none (or Transfer-Encoding overrides it).</summary>
    public long ContentLength { get; private set; }

    /// <summary>Transfer-Encoding ends in chunked.</summary>
    public bool IsChunked { get; private set; }

    /// <summary>Transfer-Encoding is present, whatever it ends in.</summary>
    public bool HasTransferEncoding { get; private set; }

    /// <summary>The connection ends with this response: <c>Connection: close</c>, or HTTP/1.0 without keep-alive.</summary>
    public bool ClosesConnection { get; private set; }

    /// <summary>The index of the Connection field in <see cref="Fields"/>, or -1.</summary>
    public int ConnectionField { get; private set; }

    /// <summary>How the body that follows is delimited, given the request's method.</summary>
    public BodyFraming FramingFor(bool isHeadRequest) =>
        isHeadRequest || StatusCode is < 200 or 204 or 304 ? BodyFraming.None
        : IsChunked ? BodyFraming.Chunked
        : HasTransferEncoding ? BodyFraming.UntilClose
        : ContentLength >= 0 ? (ContentLength == 0 ? BodyFraming.None : BodyFraming.ContentLength)
        : BodyFraming.UntilClose;

    /// <summary>Parses a head from the start of <paramref name="input"/>. False while the head is not yet whole;
    /// throws <see cref="UpstreamProtocolException"/> when it is malformed or longer than the limit.</summary>
    /// <param name="headLength">The bytes of the head, its empty line included; the body starts after them.</param>
    public bool TryParse(ReadOnlySpan<byte> input, out int headLength)
    {
        var end = input.IndexOf(EndOfHead);
        if (end < 0)
        {
            headLength = 0;
            if (input.Length >= MaxHeadLength) throw new UpstreamProtocolException($"The response head is longer than {MaxHeadLength} bytes.");
            return false;
        }

        headLength = end + EndOfHead.Length;
        if (headLength > MaxHeadLength) throw new UpstreamProtocolException($"The response head is longer than {MaxHeadLength} bytes.");
        Reset();

        var lineEnd = input.IndexOf("\r\n"u8);
        ParseStatusLine(input[..lineEnd]);
        var position = lineEnd + 2;
        // the head's last CRLF pair is the empty line; every line before it is a field
        while (position < headLength - 2)
        {
            var length = input[position..].IndexOf("\r\n"u8);
            ParseField(input.Slice(position, length), position);
            position += length + 2;
        }

        if (IsHttp10 && !ClosesConnection) ClosesConnection = !ConnectionListsKeepAlive(input);
        return true;
    }

    private void Reset()
    {
        StatusCode = 0;
        IsHttp10 = false;
        FieldCount = 0;
        ContentLength = -1;
        IsChunked = false;
        HasTransferEncoding = false;
        ClosesConnection = false;
        ConnectionField = -1;
    }

    // status-line = HTTP-version SP status-code SP [ reason-phrase ]   (RFC 9112 section 4)
    private void ParseStatusLine(ReadOnlySpan<byte> line)
    {
        if (line.Length < 12 || line[8] != ' ' || (line.Length > 12 && line[12] != ' '))
            throw new UpstreamProtocolException("The status line is malformed.");
        if (line.StartsWith("HTTP/1.1"u8)) IsHttp10 = false;
        else if (line.StartsWith("HTTP/1.0"u8)) IsHttp10 = true;
        else throw new UpstreamProtocolException("The destination does not answer HTTP/1.x.");

        var code = 0;
        foreach (var digit in line.Slice(9, 3))
        {
            if (!char.IsAsciiDigit((char)digit)) throw new UpstreamProtocolException("The status code is not three digits.");
            code = code * 10 + (digit - '0');
        }

        if (code < 100) throw new UpstreamProtocolException("The status code is below 100.");
        if (line.Length > 13 && line[13..].ContainsAny((byte)'\r', (byte)'\n', (byte)0))
            throw new UpstreamProtocolException("The reason phrase holds a control character.");
        StatusCode = code;
    }

    // field-line = field-name ":" OWS field-value OWS   (RFC 9112 section 5); obs-fold is refused (section 5.2)
    private void ParseField(ReadOnlySpan<byte> line, int offset)
    {
        var colon = line.IndexOf((byte)':');
        if (colon <= 0) throw new UpstreamProtocolException("A header field has no name.");
        var name = line[..colon];
        foreach (var c in name)
        {
            if (!IsTokenChar(c)) throw new UpstreamProtocolException("A header field name holds a character a token may not.");
        }

        var value = line[(colon + 1)..];
        var valueStart = colon + 1;
        while (value.Length > 0 && value[0] is (byte)' ' or (byte)'\t')
        {
            value = value[1..];
            valueStart++;
        }

        value = value.TrimEnd(" \t"u8);
        if (value.ContainsAny((byte)'\r', (byte)'\n', (byte)0)) throw new UpstreamProtocolException("A header field value holds CR, LF or NUL.");

        // bounded by the head's length: a field takes at least four bytes
        if (FieldCount == _fields.Length) Array.Resize(ref _fields, FieldCount * 2);

        _fields[FieldCount++] = new HeaderField(offset, colon, offset + valueStart, value.Length);
        Interpret(name, value, FieldCount - 1);
    }

    private void Interpret(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int index)
    {
        if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
        {
            var length = ParseContentLength(value);
            if (ContentLength >= 0 && ContentLength != length) throw new UpstreamProtocolException("The response has conflicting Content-Length fields.");
            ContentLength = length;
        }
        else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
        {
            HasTransferEncoding = true;
            // only the last coding decides (RFC 9112 section 6.3): later fields extend the list
            var lastComma = value.LastIndexOf((byte)',');
            IsChunked = Ascii.EqualsIgnoreCase(value[(lastComma + 1)..].Trim(" \t"u8), "chunked"u8);
        }
        else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
        {
            if (ConnectionField >= 0) throw new UpstreamProtocolException("The response has more than one Connection field.");
            ConnectionField = index;
            if (ListsToken(value, "close"u8)) ClosesConnection = true;
        }
    }

    private bool ConnectionListsKeepAlive(ReadOnlySpan<byte> head) =>
        ConnectionField >= 0 && ListsToken(head.Slice(_fields[ConnectionField].ValueStart, _fields[ConnectionField].ValueLength), "keep-alive"u8);

    // a list of equal values ("5, 5") is one length (RFC 9110 section 8.6)
    private static long ParseContentLength(ReadOnlySpan<byte> value)
    {
        long length = -1;
        foreach (var range in value.Split((byte)','))
        {
            var item = value[range].Trim(" \t"u8);
            if (item.IsEmpty || item.Length > 18) throw new UpstreamProtocolException("The Content-Length is not a length.");
            long parsed = 0;
            foreach (var digit in item)
            {
                if (!char.IsAsciiDigit((char)digit)) throw new UpstreamProtocolException("The Content-Length is not a length.");
                parsed = parsed * 10 + (digit - '0');
            }

            if (length >= 0 && parsed != length) throw new UpstreamProtocolException("The Content-Length lists different lengths.");
            length = parsed;
        }

        return length;
    }

    /// <summary>Whether a comma-separated field value (Connection, say) lists <paramref name="token"/>.</summary>
    public static bool ListsToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (var range in value.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(value[range].Trim(" \t"u8), token)) return true;
        }

        return false;
    }

    // tchar (RFC 9110 section 5.6.2)
    private static bool IsTokenChar(byte c) =>
        char.IsAsciiLetterOrDigit((char)c) || c is (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\''
            or (byte)'*' or (byte)'+' or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';
}
