using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;

namespace LiveMicro.Media.Codecs;

/// <summary>
/// AVCDecoderConfigurationRecord (ISO/IEC 14496-15 section 5.3.3.1): the body of an AVC sequence header tag.
/// Parameter sets are copied out, since sequence headers are rare and outlive the message they came in.
/// </summary>
public sealed class AvcDecoderConfigurationRecord
{
    private readonly byte[][] _sequenceParameterSets;
    private readonly byte[][] _pictureParameterSets;

    private AvcDecoderConfigurationRecord(byte profile, byte compatibility, byte level, int nalUnitLengthSize, byte[][] sequenceParameterSets, byte[][] pictureParameterSets)
    {
        Profile = profile;
        ProfileCompatibility = compatibility;
        Level = level;
        NalUnitLengthSize = nalUnitLengthSize;
        _sequenceParameterSets = sequenceParameterSets;
        _pictureParameterSets = pictureParameterSets;
    }

    public byte Profile { get; }

    public byte ProfileCompatibility { get; }

    public byte Level { get; }

    /// <summary>Bytes of the big-endian length in front of each NAL unit in coded frames: 1, 2 or 4.</summary>
    public int NalUnitLengthSize { get; }

    public IReadOnlyList<byte[]> SequenceParameterSets => _sequenceParameterSets;

    public IReadOnlyList<byte[]> PictureParameterSets => _pictureParameterSets;

    /// <summary>The RFC 6381 codecs parameter, e.g. "avc1.64000b".</summary>
    public string CodecString => string.Create(CultureInfo.InvariantCulture, $"avc1.{Profile:x2}{ProfileCompatibility:x2}{Level:x2}");

    //  configurationVersion 8 (= 1) | AVCProfileIndication 8 | profile_compatibility 8 | AVCLevelIndication 8 |
    //  reserved 6 ('111111') | lengthSizeMinusOne 2 | reserved 3 ('111') | numOfSequenceParameterSets 5 |
    //  { sequenceParameterSetLength 16 | sequenceParameterSetNALUnit } | numOfPictureParameterSets 8 |
    //  { pictureParameterSetLength 16 | pictureParameterSetNALUnit } | (High profile extensions, ignored)
    /// <exception cref="MediaFormatException">Truncated, wrong version, or a length size of 3.</exception>
    public static AvcDecoderConfigurationRecord Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < 7)
        {
            throw new MediaFormatException(MediaFormatError.Truncated, $"AVCDecoderConfigurationRecord of {data.Length} bytes.");
        }

        if (data[0] != 1)
        {
            throw new MediaFormatException(MediaFormatError.InvalidValue, $"AVCDecoderConfigurationRecord version {data[0]}.");
        }

        // lengthSizeMinusOne "shall be one of 0, 1, or 3".
        var lengthSize = (data[4] & 0x03) + 1;
        if (lengthSize == 3)
        {
            throw new MediaFormatException(MediaFormatError.InvalidValue, "NAL unit length size of 3 bytes is not allowed.");
        }

        var offset = 5;
        var sequenceParameterSets = ReadParameterSets(data, ref offset, data[offset++] & 0x1F);
        if (offset >= data.Length)
        {
            throw new MediaFormatException(MediaFormatError.Truncated, "AVCDecoderConfigurationRecord ends before numOfPictureParameterSets.");
        }

        var pictureParameterSets = ReadParameterSets(data, ref offset, data[offset++]);
        return new AvcDecoderConfigurationRecord(data[1], data[2], data[3], lengthSize, sequenceParameterSets, pictureParameterSets);
    }

    /// <summary>The record of one SPS and one PPS with 4-byte NAL unit lengths (what an FLV AVC sequence header
    /// carries): profile, compatibility and level copied from the SPS's bytes 1-3.</summary>
    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> sequenceParameterSet, ReadOnlySpan<byte> pictureParameterSet)
    {
        if (sequenceParameterSet.Length < 4 || pictureParameterSet.IsEmpty)
        {
            throw new MediaFormatException(MediaFormatError.Truncated, "An SPS of at least 4 bytes and a PPS are needed.");
        }

        var length = 6 + 2 + sequenceParameterSet.Length + 1 + 2 + pictureParameterSet.Length;
        var span = output.GetSpan(length);
        span[0] = 1;
        sequenceParameterSet[1..4].CopyTo(span[1..]);
        span[4] = 0xFF; // reserved bits, lengthSizeMinusOne 3
        span[5] = 0xE1; // reserved bits, one SPS
        BinaryPrimitives.WriteUInt16BigEndian(span[6..], (ushort)sequenceParameterSet.Length);
        sequenceParameterSet.CopyTo(span[8..]);
        var at = 8 + sequenceParameterSet.Length;
        span[at] = 1;
        BinaryPrimitives.WriteUInt16BigEndian(span[(at + 1)..], (ushort)pictureParameterSet.Length);
        pictureParameterSet.CopyTo(span[(at + 3)..]);
        output.Advance(length);
    }

    /// <summary>Writes every SPS then every PPS, each behind a 4-byte Annex B start code (ISO/IEC 14496-10 annex B).</summary>
    public void WriteAnnexBParameterSets(IBufferWriter<byte> output)
    {
        // The arrays, not the IReadOnlyList views: this runs on every keyframe and must not allocate an enumerator.
        foreach (var set in _sequenceParameterSets)
        {
            AvcAnnexB.WriteNalUnit(output, set);
        }

        foreach (var set in _pictureParameterSets)
        {
            AvcAnnexB.WriteNalUnit(output, set);
        }
    }

    private static byte[][] ReadParameterSets(ReadOnlySpan<byte> data, ref int offset, int count)
    {
        var sets = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            if (offset + 2 > data.Length)
            {
                throw new MediaFormatException(MediaFormatError.Truncated, "AVCDecoderConfigurationRecord ends inside a parameter set length.");
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
            offset += 2;
            if (offset + length > data.Length)
            {
                throw new MediaFormatException(MediaFormatError.Truncated, $"Parameter set of {length} bytes overruns the record.");
            }

            sets[i] = data.Slice(offset, length).ToArray();
            offset += length;
        }

        return sets;
    }
}
