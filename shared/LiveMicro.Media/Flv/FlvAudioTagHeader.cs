using System.Buffers.Binary;

namespace LiveMicro.Media.Flv;

/// <summary>FLV SoundFormat values (FLV spec E.4.2.1), plus E-RTMP's ExHeader.</summary>
public enum FlvSoundFormat : byte
{
    LinearPcmPlatformEndian = 0,
    AdPcm = 1,
    Mp3 = 2,
    LinearPcmLittleEndian = 3,
    Nellymoser16KMono = 4,
    Nellymoser8KMono = 5,
    Nellymoser = 6,
    G711ALaw = 7,
    G711MuLaw = 8,
    /// <summary>E-RTMP v2: the codec is named by a FourCC and the low nibble is an audio packet type.</summary>
    ExHeader = 9,
    Aac = 10,
    Speex = 11,
    Mp38K = 14,
    DeviceSpecific = 15,
}

/// <summary>What an audio packet carries; E-RTMP's AudioPacketType, with legacy AACPacketType 0/1 mapped onto it.</summary>
public enum FlvAudioPacketType : byte
{
    SequenceStart = 0,
    CodedFrames = 1,
    SequenceEnd = 2,
    MultichannelConfig = 4,
    Multitrack = 5,
    ModEx = 7,
}

/// <summary>The header in front of an audio tag's codec data (FLV spec E.4.2.1, E-RTMP v2 ExAudioTagHeader).</summary>
public readonly record struct FlvAudioTagHeader
{
    public FlvSoundFormat SoundFormat { get; init; }

    /// <summary>The SoundRate/SoundSize/SoundType bits (legacy only); AAC decoders take these from the AudioSpecificConfig instead.</summary>
    public byte SoundFlags { get; init; }

    public bool IsEnhanced { get; init; }

    /// <summary>The codec FourCC of enhanced headers; legacy AAC reports mp4a.</summary>
    public uint FourCc { get; init; }

    public FlvAudioPacketType PacketType { get; init; }

    /// <summary>E-RTMP multitrack: the header stops before the track list, at <see cref="DataOffset"/>.</summary>
    public bool IsMultitrack { get; init; }

    public int DataOffset { get; init; }

    /// <summary>Decoder configuration (e.g. AudioSpecificConfig) that must precede coded frames.</summary>
    public bool IsSequenceHeader => PacketType == FlvAudioPacketType.SequenceStart;

    public static bool TryParse(ReadOnlySpan<byte> data, out FlvAudioTagHeader header)
    {
        header = default;
        if (data.IsEmpty)
        {
            return false;
        }

        // SoundFormat UB[4] | SoundRate UB[2] | SoundSize UB[1] | SoundType UB[1]; AAC adds AACPacketType UI8.
        var format = (FlvSoundFormat)(data[0] >> 4);
        if (format == FlvSoundFormat.ExHeader)
        {
            return TryParseEnhanced(data, out header);
        }

        header = new FlvAudioTagHeader { SoundFormat = format, SoundFlags = (byte)(data[0] & 0x0F), PacketType = FlvAudioPacketType.CodedFrames, DataOffset = 1 };
        if (format != FlvSoundFormat.Aac)
        {
            return true;
        }

        if (data.Length < 2 || data[1] > 1)
        {
            return false;
        }

        header = header with { FourCc = Flv.FourCc.Aac, PacketType = (FlvAudioPacketType)data[1], DataOffset = 2 };
        return true;
    }

    // SoundFormat UB[4] = 9 | AudioPacketType UB[4], any ModEx, then FourCC UI32 (or the multitrack header).
    private static bool TryParseEnhanced(ReadOnlySpan<byte> data, out FlvAudioTagHeader header)
    {
        header = default;
        var rawPacketType = (byte)(data[0] & 0x0F);
        var offset = 1;
        if (!FlvVideoTagHeader.TrySkipModEx(data, ref offset, ref rawPacketType))
        {
            return false;
        }

        var packetType = (FlvAudioPacketType)rawPacketType;
        var multitrack = packetType == FlvAudioPacketType.Multitrack;
        var hasFourCc = true;
        if (multitrack)
        {
            if (data.Length <= offset)
            {
                return false;
            }

            const int ManyTracksManyCodecs = 2;
            hasFourCc = data[offset] >> 4 != ManyTracksManyCodecs;
            packetType = (FlvAudioPacketType)(data[offset] & 0x0F);
            offset++;
        }

        uint fourCc = 0;
        if (hasFourCc)
        {
            if (data.Length < offset + 4)
            {
                return false;
            }

            fourCc = BinaryPrimitives.ReadUInt32BigEndian(data[offset..]);
            offset += 4;
        }

        header = new FlvAudioTagHeader
        {
            SoundFormat = FlvSoundFormat.ExHeader,
            IsEnhanced = true,
            FourCc = fourCc,
            PacketType = packetType,
            IsMultitrack = multitrack,
            DataOffset = offset,
        };
        return true;
    }
}
