using System.Buffers;
using System.Buffers.Binary;

namespace LiveMicro.Media.Flv;

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
