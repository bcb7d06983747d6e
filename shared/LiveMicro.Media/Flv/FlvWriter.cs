using System.Buffers;
using System.Buffers.Binary;

namespace LiveMicro.Media.Flv;

/// <summary>Writes FLV file headers and tags (FLV spec v10.1 annex E).</summary>
public static class FlvWriter
{
    /// <summary>Header (9 bytes) plus PreviousTagSize0 (4 bytes).</summary>
    public const int FileHeaderLength = 13;

    /// <summary>Tag header (11 bytes) plus the PreviousTagSize that follows the data (4 bytes).</summary>
    public const int TagOverhead = 11 + 4;

    /// <summary>The largest tag data size the 24-bit field can express.</summary>
    public const int MaxDataSize = 0xFFFFFF;

    // Signature "FLV", Version 1, TypeFlags (reserved 5 bits, audio 1, reserved 1, video 1), DataOffset 9,
    // then PreviousTagSize0 = 0 (sections E.2 and E.3).
    public static void WriteFileHeader(IBufferWriter<byte> output, bool hasAudio, bool hasVideo)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(FileHeaderLength);
        "FLV"u8.CopyTo(span);
        span[3] = 1;
        span[4] = (byte)((hasAudio ? 0x04 : 0) | (hasVideo ? 0x01 : 0));
        BinaryPrimitives.WriteUInt32BigEndian(span[5..], 9);
        BinaryPrimitives.WriteUInt32BigEndian(span[9..], 0);
        output.Advance(FileHeaderLength);
    }

    /// <summary>Writes one tag: header, <paramref name="data"/> and the PreviousTagSize that closes it.</summary>
    public static void WriteTag(IBufferWriter<byte> output, FlvTagType type, uint timestamp, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Advance(WriteTag(output.GetSpan(TagOverhead + data.Length), type, timestamp, data));
    }

    /// <summary>Writes one tag at the start of <paramref name="destination"/>; returns its length, <see cref="TagOverhead"/> + data.</summary>
    public static int WriteTag(Span<byte> destination, FlvTagType type, uint timestamp, ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxDataSize)
        {
            throw new ArgumentException($"FLV tag data is limited to {MaxDataSize} bytes.", nameof(data));
        }

        // TagType UI8 | DataSize UI24 | Timestamp UI24 | TimestampExtended UI8 | StreamID UI24 (always 0)
        var tag = destination[..(TagOverhead + data.Length)];
        tag[0] = (byte)type;
        WriteUInt24(tag[1..], (uint)data.Length);
        WriteUInt24(tag[4..], timestamp & 0xFFFFFF);
        tag[7] = (byte)(timestamp >> 24);
        WriteUInt24(tag[8..], 0);
        data.CopyTo(tag[11..]);
        BinaryPrimitives.WriteUInt32BigEndian(tag[(11 + data.Length)..], (uint)(11 + data.Length));
        return tag.Length;
    }

    private static void WriteUInt24(Span<byte> span, uint value)
    {
        span[0] = (byte)(value >> 16);
        span[1] = (byte)(value >> 8);
        span[2] = (byte)value;
    }
}
