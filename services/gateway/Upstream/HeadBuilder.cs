using System.Buffers;
using System.Globalization;
using System.Text;

namespace LiveMicro.Gateway.Upstream;

/// <summary>Writes HTTP/1.1 head text into one span taken from a buffer writer up front, and gives it back with one
/// Advance: a whole head costs one GetSpan and one Advance instead of several per field (each an interface call on a
/// hot path). A size hint too small only costs another span. Text is written as Latin-1.</summary>
public ref struct HeadBuilder
{
    private readonly IBufferWriter<byte> _writer;
    private Span<byte> _span;
    private int _written;

    public HeadBuilder(IBufferWriter<byte> writer, int sizeHint)
    {
        _writer = writer;
        _span = writer.GetSpan(sizeHint);
    }

    public void Write(scoped ReadOnlySpan<byte> bytes)
    {
        Reserve(bytes.Length);
        bytes.CopyTo(_span[_written..]);
        _written += bytes.Length;
    }

    public void Write(string text)
    {
        if (text.Length == 0) return;
        Reserve(text.Length);
        _written += Encoding.Latin1.GetBytes(text, _span[_written..]);
    }

    /// <summary><c>{name}: {value}</c> CRLF.</summary>
    public void WriteField(scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<byte> value)
    {
        Reserve(name.Length + value.Length + 4);
        var span = _span[_written..];
        name.CopyTo(span);
        span[name.Length] = (byte)':';
        span[name.Length + 1] = (byte)' ';
        value.CopyTo(span[(name.Length + 2)..]);
        span[name.Length + 2 + value.Length] = (byte)'\r';
        span[name.Length + 3 + value.Length] = (byte)'\n';
        _written += name.Length + value.Length + 4;
    }

    public void WriteField(scoped ReadOnlySpan<byte> name, long value)
    {
        Write(name);
        Write(": "u8);
        Reserve(20);
        value.TryFormat(_span[_written..], out var written, default, CultureInfo.InvariantCulture);
        _written += written;
        Write("\r\n"u8);
    }

    /// <summary>The size line of a chunk: its length in hex and CRLF.</summary>
    public void WriteChunkHeader(int length)
    {
        Reserve(10);
        length.TryFormat(_span[_written..], out var written, "X", CultureInfo.InvariantCulture);
        _written += written;
        _span[_written++] = (byte)'\r';
        _span[_written++] = (byte)'\n';
    }

    /// <summary>Hands what was written to the buffer writer.</summary>
    public void Commit()
    {
        _writer.Advance(_written);
        _written = 0;
        _span = default;
    }

    private void Reserve(int length)
    {
        if (length <= _span.Length - _written) return;
        _writer.Advance(_written);
        _written = 0;
        _span = _writer.GetSpan(length);
    }
}
