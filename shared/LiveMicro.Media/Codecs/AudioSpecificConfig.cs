namespace LiveMicro.Media.Codecs;

/// <summary>
/// The parts of an MPEG-4 AudioSpecificConfig (ISO/IEC 14496-3 section 1.6.2.1) needed to describe and frame AAC:
/// the core object type, sampling frequency and channel configuration. With explicit SBR/PS signalling
/// (object type 5 or 29) the core fields are those of the underlying AAC, which is what ADTS carries.
/// </summary>
public readonly record struct AudioSpecificConfig
{
    /// <summary>ADTS header without CRC (ISO/IEC 13818-7 section 6.2 / 14496-3 section 1.A.2.2).</summary>
    public const int AdtsHeaderLength = 7;

    /// <summary>aac_frame_length is 13 bits and includes the header.</summary>
    public const int MaxAdtsPayloadLength = 0x1FFF - AdtsHeaderLength;

    private const int EscapeObjectType = 31;
    private const int ExplicitFrequencyIndex = 15;
    private const int SbrObjectType = 5;
    private const int PsObjectType = 29;

    // samplingFrequencyIndex table, 14496-3 table 1.18.
    private static readonly int[] SamplingFrequencies = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

    /// <summary>Audio object type of the core codec: 1 AAC Main, 2 AAC LC, 3 AAC SSR, 4 AAC LTP, ...</summary>
    public int ObjectType { get; init; }

    /// <summary>5 (SBR) or 29 (PS) when HE-AAC is signalled explicitly, otherwise 0.</summary>
    public int ExtensionObjectType { get; init; }

    /// <summary>Index into the standard frequency table, or 15 when the frequency is given explicitly.</summary>
    public int SamplingFrequencyIndex { get; init; }

    public int SamplingFrequency { get; init; }

    /// <summary>1..7 per 14496-3 table 1.19; 0 means a program config element defines the channels.</summary>
    public int ChannelConfiguration { get; init; }

    /// <summary>The RFC 6381 codecs parameter, e.g. "mp4a.40.2".</summary>
    public string CodecString => "mp4a.40." + (ExtensionObjectType != 0 ? ExtensionObjectType : ObjectType).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <exception cref="MediaFormatException">Truncated or using a reserved sampling frequency index.</exception>
    public static AudioSpecificConfig Parse(ReadOnlySpan<byte> data)
    {
        // audioObjectType 5 bits (31 escapes to 32 + 6 bits); samplingFrequencyIndex 4 bits (15: 24-bit frequency);
        // channelConfiguration 4 bits; for SBR/PS: extensionSamplingFrequencyIndex and the core audioObjectType.
        var reader = new BitReader(data);
        var objectType = ReadObjectType(ref reader);
        var (frequencyIndex, frequency) = ReadSamplingFrequency(ref reader);
        var channels = reader.ReadBits(4);
        var extension = 0;
        if (objectType is SbrObjectType or PsObjectType)
        {
            extension = objectType;
            ReadSamplingFrequency(ref reader);
            objectType = ReadObjectType(ref reader);
        }

        return new AudioSpecificConfig
        {
            ObjectType = objectType,
            ExtensionObjectType = extension,
            SamplingFrequencyIndex = frequencyIndex,
            SamplingFrequency = frequency,
            ChannelConfiguration = channels,
        };
    }

    //  syncword 12 | ID 1 | layer 2 | protection_absent 1 | profile 2 | sampling_frequency_index 4 | private_bit 1 |
    //  channel_configuration 3 | original_copy 1 | home 1 | copyright_id_bit 1 | copyright_id_start 1 |
    //  aac_frame_length 13 | adts_buffer_fullness 11 | number_of_raw_data_blocks_in_frame 2
    /// <summary>Writes the 7-byte ADTS header for one raw AAC frame of <paramref name="payloadLength"/> bytes.</summary>
    /// <exception cref="MediaFormatException">
    /// <see cref="MediaFormatError.Unsupported"/>: ADTS's 2-bit profile, 4-bit index and 3-bit channel fields cannot
    /// express this configuration, or the frame is longer than 13 bits of length allow.
    /// </exception>
    public void WriteAdtsHeader(Span<byte> destination, int payloadLength)
    {
        if (ObjectType is < 1 or > 4 || SamplingFrequencyIndex >= SamplingFrequencies.Length || ChannelConfiguration > 7)
        {
            throw new MediaFormatException(MediaFormatError.Unsupported, $"ADTS cannot carry object type {ObjectType}, frequency index {SamplingFrequencyIndex}, channels {ChannelConfiguration}.");
        }

        if ((uint)payloadLength > MaxAdtsPayloadLength)
        {
            throw new MediaFormatException(MediaFormatError.Unsupported, $"An AAC frame of {payloadLength} bytes does not fit an ADTS frame.");
        }

        var frameLength = payloadLength + AdtsHeaderLength;
        const int BufferFullnessVariableBitrate = 0x7FF;
        destination[0] = 0xFF;
        destination[1] = 0xF1; // syncword low nibble, MPEG-4, layer 0, no CRC
        destination[2] = (byte)(((ObjectType - 1) << 6) | (SamplingFrequencyIndex << 2) | (ChannelConfiguration >> 2));
        destination[3] = (byte)(((ChannelConfiguration & 3) << 6) | (frameLength >> 11));
        destination[4] = (byte)(frameLength >> 3);
        destination[5] = (byte)(((frameLength & 7) << 5) | (BufferFullnessVariableBitrate >> 6));
        destination[6] = (byte)((BufferFullnessVariableBitrate & 0x3F) << 2);
    }

    /// <summary>
    /// Reads one ADTS frame (the header <see cref="WriteAdtsHeader"/> writes, with or without its CRC) from the start
    /// of <paramref name="data"/>: false when it is not all there yet. The configuration is the header's (an ADTS
    /// profile p is object type p + 1), the payload the raw frame FLV and MP4 carry.
    /// </summary>
    /// <exception cref="MediaFormatException">No syncword, or a frame length shorter than its header.</exception>
    public static bool TryReadAdtsFrame(ReadOnlySpan<byte> data, out AudioSpecificConfig configuration, out ReadOnlySpan<byte> payload,
        out int frameLength)
    {
        configuration = default;
        payload = default;
        frameLength = 0;
        if (data.Length < AdtsHeaderLength) return false;
        if (data[0] != 0xFF || (data[1] & 0xF6) != 0xF0)
        {
            throw new MediaFormatException(MediaFormatError.InvalidValue, "An ADTS frame does not start with its syncword.");
        }

        var headerLength = (data[1] & 0x01) != 0 ? AdtsHeaderLength : AdtsHeaderLength + 2;
        frameLength = ((data[3] & 0x03) << 11) | (data[4] << 3) | (data[5] >> 5);
        if (frameLength < headerLength) throw new MediaFormatException(MediaFormatError.InvalidValue, $"An ADTS frame of {frameLength} bytes.");
        if (data.Length < frameLength) return false;
        var frequencyIndex = (data[2] >> 2) & 0x0F;
        configuration = new AudioSpecificConfig
        {
            ObjectType = (data[2] >> 6) + 1,
            SamplingFrequencyIndex = frequencyIndex,
            SamplingFrequency = frequencyIndex < SamplingFrequencies.Length ? SamplingFrequencies[frequencyIndex] : 0,
            ChannelConfiguration = ((data[2] & 0x01) << 2) | (data[3] >> 6),
        };
        payload = data[headerLength..frameLength];
        return true;
    }

    /// <summary>The two-byte AudioSpecificConfig of a plain (non-extended) configuration, as an FLV AAC sequence
    /// header carries it.</summary>
    public byte[] ToBytes() =>
        [(byte)((ObjectType << 3) | (SamplingFrequencyIndex >> 1)), (byte)(((SamplingFrequencyIndex & 1) << 7) | (ChannelConfiguration << 3))];

    private static int ReadObjectType(ref BitReader reader)
    {
        var objectType = reader.ReadBits(5);
        return objectType == EscapeObjectType ? 32 + reader.ReadBits(6) : objectType;
    }

    private static (int Index, int Frequency) ReadSamplingFrequency(ref BitReader reader)
    {
        var index = reader.ReadBits(4);
        if (index == ExplicitFrequencyIndex)
        {
            return (index, reader.ReadBits(24));
        }

        if (index >= SamplingFrequencies.Length)
        {
            throw new MediaFormatException(MediaFormatError.InvalidValue, $"Sampling frequency index {index} is reserved.");
        }

        return (index, SamplingFrequencies[index]);
    }
}
