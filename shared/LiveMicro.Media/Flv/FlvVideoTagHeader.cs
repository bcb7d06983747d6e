using System.Buffers.Binary;

namespace LiveMicro.Media.Flv;

/// <summary>Video frame types (FLV spec E.4.3.1 and E-RTMP VideoFrameType).</summary>
public enum FlvVideoFrameType : byte
{
    KeyFrame = 1,
    InterFrame = 2,
    DisposableInterFrame = 3,
    GeneratedKeyFrame = 4,
    /// <summary>Video info/command frame: carries no picture.</summary>
    Command = 5,
}

/// <summary>Legacy FLV video codec IDs (FLV spec E.4.3.1).</summary>
public enum FlvVideoCodecId : byte
{
    None = 0,
    SorensonH263 = 2,
    ScreenVideo = 3,
    On2Vp6 = 4,
    On2Vp6Alpha = 5,
    ScreenVideo2 = 6,
    Avc = 7,
    /// <summary>HEVC under the non-standard codec ID 12 that Chinese CDNs used before Enhanced RTMP.</summary>
    HevcLegacy = 12,
}

/// <summary>
/// What a video packet carries. The values are E-RTMP's VideoPacketType; legacy AVCPacketType 0/1/2 map to
/// SequenceStart/CodedFrames/SequenceEnd.
/// </summary>
public enum FlvVideoPacketType : byte
{
    SequenceStart = 0,
    CodedFrames = 1,
    SequenceEnd = 2,
    /// <summary>Coded frames with an implied composition time of 0 (no SI24 field).</summary>
    CodedFramesX = 3,
    Metadata = 4,
    Mpeg2TsSequenceStart = 5,
    Multitrack = 6,
    ModEx = 7,
}

/// <summary>
/// The header in front of a video tag's codec data, legacy (FLV spec v10.1 E.4.3.1) or Enhanced RTMP
/// (IsExHeader set: FourCC codecs such as hvc1, av01, vp09).
/// </summary>
public readonly record struct FlvVideoTagHeader
{
    public FlvVideoFrameType FrameType { get; init; }

    /// <summary>Legacy codec ID; <see cref="FlvVideoCodecId.None"/> for enhanced headers.</summary>
    public FlvVideoCodecId CodecId { get; init; }

    /// <summary>E-RTMP ex-header: the codec is named by <see cref="FourCc"/>.</summary>
    public bool IsEnhanced { get; init; }

    /// <summary>The codec FourCC; legacy AVC and HEVC report avc1/hvc1 so callers can treat both forms alike.</summary>
    public uint FourCc { get; init; }

    public FlvVideoPacketType PacketType { get; init; }

    /// <summary>PTS - DTS in milliseconds (SI24); 0 when the packet type has none.</summary>
    public int CompositionTimeOffset { get; init; }

    /// <summary>
    /// E-RTMP v2 multitrack packets: the header stops before the track list, which the caller reads from
    /// <see cref="DataOffset"/>; <see cref="PacketType"/> is then the tracks' packet type.
    /// </summary>
    public bool IsMultitrack { get; init; }

    /// <summary>Offset of the codec payload (configuration record, NAL units, ...) within the tag data.</summary>
    public int DataOffset { get; init; }

    /// <summary>A coded random access point: playback can start here (sequence headers are not pictures, so never key frames).</summary>
    public bool IsKeyFrame =>
        FrameType is FlvVideoFrameType.KeyFrame or FlvVideoFrameType.GeneratedKeyFrame
        && PacketType is FlvVideoPacketType.CodedFrames or FlvVideoPacketType.CodedFramesX;

    /// <summary>Decoder configuration (e.g. AVCDecoderConfigurationRecord) that must precede coded frames.</summary>
    public bool IsSequenceHeader => PacketType is FlvVideoPacketType.SequenceStart or FlvVideoPacketType.Mpeg2TsSequenceStart;

    /// <summary>Parses the header; false when <paramref name="data"/> is too short or inconsistent to be a video tag.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out FlvVideoTagHeader header)
    {
        header = default;
        if (data.IsEmpty)
        {
            return false;
        }

        // Legacy: FrameType UB[4] | CodecID UB[4]; AVC adds AVCPacketType UI8 and CompositionTime SI24.
        // Enhanced: IsExHeader UB[1] | FrameType UB[3] | PacketType UB[4], then (after any ModEx) FourCC UI32.
        return (data[0] & 0x80) != 0 ? TryParseEnhanced(data, out header) : TryParseLegacy(data, out header);
    }

    private static bool TryParseLegacy(ReadOnlySpan<byte> data, out FlvVideoTagHeader header)
    {
        var frameType = (FlvVideoFrameType)(data[0] >> 4);
        var codecId = (FlvVideoCodecId)(data[0] & 0x0F);
        header = new FlvVideoTagHeader { FrameType = frameType, CodecId = codecId, PacketType = FlvVideoPacketType.CodedFrames, DataOffset = 1 };
        if (codecId is not (FlvVideoCodecId.Avc or FlvVideoCodecId.HevcLegacy))
        {
            return true;
        }

        // A command frame (e.g. seek start/end) of AVC carries one byte after the header and no AVCPacketType.
        if (frameType == FlvVideoFrameType.Command)
        {
            return true;
        }

        if (data.Length < 5 || data[1] > 2)
        {
            return false;
        }

        header = header with
        {
            FourCc = codecId == FlvVideoCodecId.Avc ? Flv.FourCc.Avc : Flv.FourCc.Hevc,
            PacketType = (FlvVideoPacketType)data[1],
            CompositionTimeOffset = ReadInt24(data[2..]),
            DataOffset = 5,
        };
        return true;
    }

    private static bool TryParseEnhanced(ReadOnlySpan<byte> data, out FlvVideoTagHeader header)
    {
        header = default;
        var frameType = (FlvVideoFrameType)((data[0] >> 4) & 0x07);
        var rawPacketType = (byte)(data[0] & 0x0F);
        var offset = 1;
        if (!TrySkipModEx(data, ref offset, ref rawPacketType))
        {
            return false;
        }

        var packetType = (FlvVideoPacketType)rawPacketType;

        // A command frame carries a VideoCommand byte instead of a FourCC and no picture data.
        if (packetType != FlvVideoPacketType.Metadata && frameType == FlvVideoFrameType.Command)
        {
            header = new FlvVideoTagHeader { FrameType = frameType, IsEnhanced = true, PacketType = packetType, DataOffset = offset };
            return data.Length > offset;
        }

        var multitrack = packetType == FlvVideoPacketType.Multitrack;
        uint fourCc = 0;
        if (multitrack)
        {
            // videoMultitrackType UB[4] | videoPacketType UB[4], then a FourCC unless every track has its own codec.
            if (data.Length <= offset)
            {
                return false;
            }

            var multitrackType = data[offset] >> 4;
            packetType = (FlvVideoPacketType)(data[offset] & 0x0F);
            offset++;
            const int ManyTracksManyCodecs = 2;
            if (multitrackType != ManyTracksManyCodecs)
            {
                if (data.Length < offset + 4)
                {
                    return false;
                }

                fourCc = BinaryPrimitives.ReadUInt32BigEndian(data[offset..]);
                offset += 4;
            }
        }
        else
        {
            if (data.Length < offset + 4)
            {
                return false;
            }

            fourCc = BinaryPrimitives.ReadUInt32BigEndian(data[offset..]);
            offset += 4;
        }

        var compositionTime = 0;

        // Only AVC and HEVC coded frames carry a composition time; CodedFramesX is the same packet with it implied 0.
        if (!multitrack && packetType == FlvVideoPacketType.CodedFrames && fourCc is Flv.FourCc.Avc or Flv.FourCc.Hevc)
        {
            if (data.Length < offset + 3)
            {
                return false;
            }

            compositionTime = ReadInt24(data[offset..]);
            offset += 3;
        }

        header = new FlvVideoTagHeader
        {
            FrameType = frameType,
            IsEnhanced = true,
            FourCc = fourCc,
            PacketType = packetType,
            CompositionTimeOffset = compositionTime,
            IsMultitrack = multitrack,
            DataOffset = offset,
        };
        return true;
    }

    // E-RTMP v2 ModEx: modExDataSize UI8 (+1; 256 means a UI16 (+1) follows), modExData, then
    // packetModExType UB[4] | packetType UB[4], repeated while the packet type is still ModEx. The only modifier
    // defined so far is a nanosecond timestamp offset, which millisecond-based consumers ignore, so it is skipped.
    internal static bool TrySkipModEx(ReadOnlySpan<byte> data, ref int offset, ref byte packetType)
    {
        const byte ModEx = 7;
        while (packetType == ModEx)
        {
            if (data.Length <= offset)
            {
                return false;
            }

            var size = data[offset++] + 1;
            if (size == 256)
            {
                if (data.Length < offset + 2)
                {
                    return false;
                }

                size = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]) + 1;
                offset += 2;
            }

            if (data.Length < offset + size + 1)
            {
                return false;
            }

            offset += size;
            packetType = (byte)(data[offset++] & 0x0F);
        }

        return true;
    }

    private static int ReadInt24(ReadOnlySpan<byte> bytes) => ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8)) >> 8;
}
