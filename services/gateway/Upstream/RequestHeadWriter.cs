using System.Buffers;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace LiveMicro.Gateway.Upstream;

/// <summary>Writes an HTTP/1.1 request head (RFC 9112 sections 3 and 5) and the chunk framing of a request body
/// whose length is not known (section 7.1). Text is written as Latin-1, as SocketsHttpHandler does by default; the
/// values come from Kestrel, which has already refused CR, LF and NUL in them.</summary>
public static class RequestHeadWriter
{
    /// <summary><c>{method} {basePath}{path}{query} HTTP/1.1</c>; an empty path becomes <c>/</c>.</summary>
    public static void WriteRequestLine(IBufferWriter<byte> writer, string method, string basePath, string path, string query)
    {
        Write(writer, method);
        Write(writer, " "u8);
        Write(writer, basePath);
        Write(writer, path.Length == 0 && basePath.Length == 0 ? "/" : path);
        Write(writer, query);
        Write(writer, " HTTP/1.1\r\n"u8);
    }

    /// <summary><c>{method} {basePath}{path}{query} HTTP/1.1</c>, the path and query already in their wire form.</summary>
    public static void WriteRequestLine(IBufferWriter<byte> writer, ReadOnlySpan<byte> method, string basePath,
        ReadOnlySpan<byte> path, ReadOnlySpan<byte> query)
    {
        Write(writer, method);
        Write(writer, " "u8);
        Write(writer, basePath);
        Write(writer, path);
        Write(writer, query);
        Write(writer, " HTTP/1.1\r\n"u8);
    }

    public static void WriteField(IBufferWriter<byte> writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        Write(writer, name);
        Write(writer, ": "u8);
        Write(writer, value);
        Write(writer, "\r\n"u8);
    }

    public static void WriteField(IBufferWriter<byte> writer, string name, string value)
    {
        Write(writer, name);
        Write(writer, ": "u8);
        Write(writer, value);
        Write(writer, "\r\n"u8);
    }

    /// <summary>One field line for all of a header's values, joined by <paramref name="separator"/>.</summary>
    public static void WriteField(IBufferWriter<byte> writer, string name, StringValues values, string separator)
    {
        Write(writer, name);
        Write(writer, ": "u8);
        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0) Write(writer, separator);
            Write(writer, values[i] ?? "");
        }

        Write(writer, "\r\n"u8);
    }

    public static void WriteField(IBufferWriter<byte> writer, ReadOnlySpan<byte> name, long value)
    {
        Write(writer, name);
        Write(writer, ": "u8);
        var span = writer.GetSpan(20);
        value.TryFormat(span, out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        writer.Advance(written);
        Write(writer, "\r\n"u8);
    }

    /// <summary>The empty line that ends the head.</summary>
    public static void WriteEnd(IBufferWriter<byte> writer) => Write(writer, "\r\n"u8);

    /// <summary>The size line of a chunk: its length in hex and CRLF.</summary>
    public static void WriteChunkHeader(IBufferWriter<byte> writer, int length)
    {
        var span = writer.GetSpan(10);
        length.TryFormat(span, out var written, "X", System.Globalization.CultureInfo.InvariantCulture);
        span[written++] = (byte)'\r';
        span[written++] = (byte)'\n';
        writer.Advance(written);
    }

    /// <summary>The CRLF after a chunk's data.</summary>
    public static void WriteChunkEnd(IBufferWriter<byte> writer) => Write(writer, "\r\n"u8);

    /// <summary>The last chunk and an empty trailer section.</summary>
    public static void WriteLastChunk(IBufferWriter<byte> writer) => Write(writer, "0\r\n\r\n"u8);

    private static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(writer.GetSpan(bytes.Length));
        writer.Advance(bytes.Length);
    }

    private static void Write(IBufferWriter<byte> writer, string text)
    {
        if (text.Length == 0) return;
        var written = Encoding.Latin1.GetBytes(text, writer.GetSpan(text.Length));
        writer.Advance(written);
    }
}
