using System.Buffers;

namespace LiveMicro.Rtmp.Streams;

/// <summary>
/// A merge window's media units encoded once in one output format (RTMP chunks, FLV tags) in a pooled buffer, which
/// every subscriber in step with the stream sends as it is: per player and window one queue item and one copy, instead
/// of one queue item, reference and encoding per unit. Reference-counted like the units' own buffers: the stream loop
/// holds one reference while it offers the window, each subscriber one until it has written it.
/// </summary>
public sealed class EncodedWindow
{
    private byte[] _bytes;
    private int _references = 1;

    private EncodedWindow(WindowEncoding encoding, byte[] bytes, int length, int unitCount)
    {
        Encoding = encoding;
        _bytes = bytes;
        Length = length;
        UnitCount = unitCount;
    }

    public WindowEncoding Encoding { get; }

    /// <summary>The units encoded, which is what the window weighs in a subscriber's bounded queue.</summary>
    public int UnitCount { get; }

    public int Length { get; }

    public ReadOnlySpan<byte> Bytes => _bytes.AsSpan(0, Length);

    /// <summary>Encodes <paramref name="units"/> in order; the window holds one reference for the caller.</summary>
    public static EncodedWindow Encode(WindowEncoding encoding, List<MediaUnit> units)
    {
        var length = 0;
        foreach (var unit in units)
        {
            length += encoding.GetEncodedLength(unit);
        }

        var bytes = ArrayPool<byte>.Shared.Rent(length);
        var written = 0;
        foreach (var unit in units)
        {
            written += encoding.Encode(unit, bytes.AsSpan(written));
        }

        return new EncodedWindow(encoding, bytes, written, units.Count);
    }

    public EncodedWindow Retain()
    {
        Interlocked.Increment(ref _references);
        return this;
    }

    public void Release()
    {
        var remaining = Interlocked.Decrement(ref _references);
        if (remaining == 0)
        {
            ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = [];
        }
        else if (remaining < 0)
        {
            throw new ObjectDisposedException(nameof(EncodedWindow), "The window was released more times than it was retained.");
        }
    }
}

/// <summary>
/// How a subscriber wants units encoded when they come as a whole <see cref="EncodedWindow"/>. Subscribers whose
/// encodings are equal share one encoded window, so an encoding is a value: a record of everything the bytes depend on.
/// </summary>
public abstract record WindowEncoding
{
    public abstract int GetEncodedLength(in MediaUnit unit);

    /// <summary>Writes <paramref name="unit"/> at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public abstract int Encode(in MediaUnit unit, Span<byte> destination);
}
