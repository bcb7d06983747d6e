using System.Buffers;

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
