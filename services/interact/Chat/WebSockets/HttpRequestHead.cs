using System.Text;

namespace LiveMicro.Interact.Chat.WebSockets;

/// <summary>The request line and header fields of an HTTP/1.1 request (RFC 9112), as far as a WebSocket opening
/// handshake needs them. Anything unusual (obsolete line folding, bytes outside ASCII, another HTTP version) is not
/// parsed: the caller leaves such a request to the full HTTP server, which answers it properly.</summary>
public sealed class HttpRequestHead
{
    private HttpRequestHead(string method, string target, List<KeyValuePair<string, string>> headers)
    {
        Method = method;
        Target = target;
        Headers = headers;
    }

    public string Method { get; }

    /// <summary>The origin-form target: path and query.</summary>
    public string Target { get; }

    public string Path => Target.IndexOf('?') is var query and >= 0 ? Target[..query] : Target;

    public string Query => Target.IndexOf('?') is var query and >= 0 ? Target[query..] : "";

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>Parses a head that ends with its empty line (CRLF CRLF); null when it is not a plain HTTP/1.1
    /// request in origin form.</summary>
    public static HttpRequestHead? TryParse(ReadOnlySpan<byte> head)
    {
        if (!Ascii.IsValid(head)) return null;
        var text = Encoding.ASCII.GetString(head);
        if (!text.EndsWith("\r\n\r\n", StringComparison.Ordinal)) return null;
        var lines = text[..^4].Split("\r\n");
        var requestLine = lines[0].Split(' ');
        if (requestLine is not [var method, var target, "HTTP/1.1"] || method.Length == 0 || !target.StartsWith('/')) return null;

        var headers = new List<KeyValuePair<string, string>>(lines.Length - 1);
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0 || !IsToken(line.AsSpan(0, colon))) return null;
            headers.Add(new(line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
        }

        return new HttpRequestHead(method, target, headers);
    }

    private static bool IsToken(ReadOnlySpan<char> name)
    {
        foreach (var c in name)
        {
            if (c <= ' ' || c >= 0x7F || "\"(),/:;<=>?@[\\]{}".Contains(c)) return false;
        }

        return true;
    }
}
