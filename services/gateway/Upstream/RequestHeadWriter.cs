using System.Buffers;
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
        var head = new HeadBuilder(writer, method.Length + basePath.Length + path.Length + query.Length + 12);
        head.Write(method);
        head.Write(" "u8);
        head.Write(basePath);
        head.Write(path.Length == 0 && basePath.Length == 0 ? "/" : path);
        head.Write(query);
        head.Write(" HTTP/1.1\r\n"u8);
        head.Commit();
    }

    /// <summary><c>{method} {basePath}{path}{query} HTTP/1.1</c>, the path and query already in their wire form.</summary>
    public static void WriteRequestLine(ref HeadBuilder head, ReadOnlySpan<byte> method, string basePath,
        ReadOnlySpan<byte> path, ReadOnlySpan<byte> query)
    {
        head.Write(method);
        head.Write(" "u8);
        head.Write(basePath);
        head.Write(path);
        head.Write(query);
        head.Write(" HTTP/1.1\r\n"u8);
    }

    public static void WriteField(IBufferWriter<byte> writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var head = new HeadBuilder(writer, name.Length + value.Length + 4);
        head.WriteField(name, value);
        head.Commit();
    }

    public static void WriteField(IBufferWriter<byte> writer, string name, string value)
    {
        var head = new HeadBuilder(writer, name.Length + value.Length + 4);
        head.Write(name);
        head.Write(": "u8);
        head.Write(value);
        head.Write("\r\n"u8);
        head.Commit();
    }

    /// <summary>One field line for all of a header's values, joined by <paramref name="separator"/>.</summary>
    public static void WriteField(IBufferWriter<byte> writer, string name, StringValues values, string separator)
    {
        var head = new HeadBuilder(writer, 256);
        head.Write(name);
        head.Write(": "u8);
        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0) head.Write(separator);
            head.Write(values[i] ?? "");
        }

        head.Write("\r\n"u8);
        head.Commit();
    }

    public static void WriteField(IBufferWriter<byte> writer, ReadOnlySpan<byte> name, long value)
    {
        var head = new HeadBuilder(writer, name.Length + 24);
        head.WriteField(name, value);
        head.Commit();
    }

    /// <summary>The empty line that ends the head.</summary>
    public static void WriteEnd(IBufferWriter<byte> writer) => writer.Write("\r\n"u8);

    /// <summary>The size line of a chunk: its length in hex and CRLF.</summary>
    public static void WriteChunkHeader(IBufferWriter<byte> writer, int length)
    {
        var head = new HeadBuilder(writer, 10);
        head.WriteChunkHeader(length);
        head.Commit();
    }

    /// <summary>The CRLF after a chunk's data.</summary>
    public static void WriteChunkEnd(IBufferWriter<byte> writer) => writer.Write("\r\n"u8);

    /// <summary>The last chunk and an empty trailer section.</summary>
    public static void WriteLastChunk(IBufferWriter<byte> writer) => writer.Write("0\r\n\r\n"u8);
}
