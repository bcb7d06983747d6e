using System.Buffers;
using System.Buffers.Binary;

namespace LiveMicro.Media.Flv;

/// <summary>FLV tag types (FLV spec v10.1 section E.4.1); the same numbers as the RTMP audio, video and data message types.</summary>
public enum FlvTagType : byte
{
    Audio = 8,
    Video = 9,
    Script = 18,
}

/// <summary>An FLV tag header (section E.4.1).</summary>
/// <param name="Type">Audio, video or script data.</param>
/// <param name="DataSize">Bytes of tag data after the 11-byte header.</param>
/// <param name="Timestamp">Milliseconds: the 24-bit field extended by TimestampExtended as the upper 8 bits.</param>
/// <param name="IsFiltered">The Filter bit: the data is encrypted (FMRMS), which we do not decrypt.</param>
public readonly record struct FlvTagHeader(FlvTagType Type, int DataSize, uint Timestamp, bool IsFiltered);

/// <summary>A tag whose data is a slice of the input; it is valid until the input is released.</summary>
public readonly record struct FlvTag(FlvTagHeader Header, ReadOnlySequence<byte> Data);

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
        if (data.Length > MaxDataSize)
        {
            throw new ArgumentException($"FLV tag data is limited to {MaxDataSize} bytes.", nameof(data));
        }

        // TagType UI8 | DataSize UI24 | Timestamp UI24 | TimestampExtended UI8 | StreamID UI24 (always 0)
        var header = output.GetSpan(11);
        header[0] = (byte)type;
        WriteUInt24(header[1..], (uint)data.Length);
        WriteUInt24(header[4..], timestamp & 0xFFFFFF);
        header[7] = (byte)(timestamp >> 24);
        WriteUInt24(header[8..], 0);
        output.Advance(11);

        var body = output.GetSpan(data.Length + 4);
        data.CopyTo(body);
        BinaryPrimitives.WriteUInt32BigEndian(body[data.Length..], (uint)(11 + data.Length));
        output.Advance(data.Length + 4);
    }

    private static void WriteUInt24(Span<byte> span, uint value)
    {
        span[0] = (byte)(value >> 16);
        span[1] = (byte)(value >> 8);
        span[2] = (byte)value;
    }
}

/// <summary>Reads FLV files incrementally from a <see cref="SequenceReader{T}"/>.</summary>
public static class FlvReader
{
    /// <summary>
    /// Largest tag data accepted by default: a tag is returned only once all of it is buffered, so this bounds
    /// what a file can make the caller hold; it matches the RTMP message limit.
    /// </summary>
    public const int DefaultMaxDataSize = 8 * 1024 * 1024;

    /// <summary>
    /// Reads the file header and PreviousTagSize0. Returns false, consuming nothing, until all of it is present.
    /// </summary>
    public static bool TryReadFileHeader(ref SequenceReader<byte> input, out bool hasAudio, out bool hasVideo)
    {
        hasAudio = hasVideo = false;
        var reader = input;
        Span<byte> header = stackalloc byte[9];
        if (!reader.TryCopyTo(header))
        {
            return false;
        }

        if (!header[..3].SequenceEqual("FLV"u8))
        {
            throw new MediaFormatException(MediaFormatError.InvalidValue, "Missing the FLV signature.");
        }

        // DataOffset allows headers longer than 9 bytes in later versions; whatever lies between is skipped.
        var dataOffset = BinaryPrimitives.ReadUInt32BigEndian(header[5..]);
        if (dataOffset < 9 || dataOffset > 1024)
        {
            throw new MediaFormatException(MediaFormatError.InvalidValue, $"FLV DataOffset {dataOffset} is not a header length.");
        }

        if (reader.Remaining < dataOffset + 4)
        {
            return false;
        }

        reader.Advance(dataOffset + 4);
        hasAudio = (header[4] & 0x04) != 0;
        hasVideo = (header[4] & 0x01) != 0;
        input = reader;
        return true;
    }

    /// <summary>
    /// Reads one tag and the PreviousTagSize after it. Returns false, consuming nothing, until the whole tag is present.
    /// </summary>
    /// <exception cref="MediaFormatException">A PreviousTagSize that does not match (the file is out of step), or a tag above the size limit.</exception>
    public static bool TryReadTag(ref SequenceReader<byte> input, out FlvTag tag, int maxDataSize = DefaultMaxDataSize)
    {
        tag = default;
        var reader = input;
        Span<byte> header = stackalloc byte[11];
        if (!reader.TryCopyTo(header))
        {
            return false;
        }

        var dataSize = (header[1] << 16) | (header[2] << 8) | header[3];
        if (dataSize > maxDataSize)
        {
            throw new MediaFormatException(MediaFormatError.TooLarge, $"FLV tag of {dataSize} bytes exceeds the {maxDataSize}-byte limit.");
        }

        if (reader.Remaining < 11 + dataSize + 4)
        {
            return false;
        }

        reader.Advance(11);
        var data = reader.UnreadSequence.Slice(0, dataSize);
        reader.Advance(dataSize);
        reader.TryReadBigEndian(out int previousTagSize);
        if (previousTagSize != 11 + dataSize)
        {
            throw new MediaFormatException(MediaFormatError.InvalidValue, $"PreviousTagSize {previousTagSize} does not match the {11 + dataSize}-byte tag before it.");
        }

        // Reserved (2 bits) | Filter (1 bit) | TagType (5 bits)
        var type = (FlvTagType)(header[0] & 0x1F);
        var timestamp = (uint)((header[4] << 16) | (header[5] << 8) | header[6]) | ((uint)header[7] << 24);
        tag = new FlvTag(new FlvTagHeader(type, dataSize, timestamp, (header[0] & 0x20) != 0), data);
        input = reader;
        return true;
    }
}
