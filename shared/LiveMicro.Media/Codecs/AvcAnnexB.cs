using System.Buffers;
using System.Buffers.Binary;

namespace LiveMicro.Media.Codecs;

/// <summary>H.264 NAL unit types this library acts on (ISO/IEC 14496-10 table 7-1).</summary>
public enum AvcNalUnitType : byte
{
    NonIdrSlice = 1,
    IdrSlice = 5,
    Sei = 6,
    SequenceParameterSet = 7,
    PictureParameterSet = 8,
    AccessUnitDelimiter = 9,
}

/// <summary>
/// Converts AVC access units from the length-prefixed form of FLV/MP4 (ISO/IEC 14496-15) to the Annex B byte
/// stream MPEG-TS carries (ISO/IEC 14496-10 annex B): start codes instead of lengths, an access unit delimiter
/// first, and the parameter sets in front of every IDR access unit so a decoder can join at any keyframe.
/// </summary>
public static class AvcAnnexB
{
    private static ReadOnlySpan<byte> StartCode => [0x00, 0x00, 0x00, 0x01];

    // nal_unit_type 9 with primary_pic_type 7 ("any slice type") and the stop bit.
    private static ReadOnlySpan<byte> AccessUnitDelimiter => [0x00, 0x00, 0x00, 0x01, 0x09, 0xF0];

    /// <summary>Converts one access unit; the caller's AUDs are dropped in favour of the one written first.</summary>
    /// <exception cref="MediaFormatException">A NAL unit length runs past the access unit.</exception>
    public static void WriteAccessUnit(IBufferWriter<byte> output, ReadOnlySpan<byte> lengthPrefixed, AvcDecoderConfigurationRecord configuration, bool isKeyFrame)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(configuration);
        var lengthSize = configuration.NalUnitLengthSize;

        var hasParameterSets = false;
        var remaining = lengthPrefixed;
        while (!remaining.IsEmpty)
        {
            var nalUnit = NextNalUnit(ref remaining, lengthSize);
            hasParameterSets |= !nalUnit.IsEmpty && (AvcNalUnitType)(nalUnit[0] & 0x1F) == AvcNalUnitType.SequenceParameterSet;
        }

        output.Write(AccessUnitDelimiter);
        if (isKeyFrame && !hasParameterSets)
        {
            configuration.WriteAnnexBParameterSets(output);
        }

        remaining = lengthPrefixed;
        while (!remaining.IsEmpty)
        {
            var nalUnit = NextNalUnit(ref remaining, lengthSize);
            if (!nalUnit.IsEmpty && (AvcNalUnitType)(nalUnit[0] & 0x1F) != AvcNalUnitType.AccessUnitDelimiter)
            {
                WriteNalUnit(output, nalUnit);
            }
        }
    }

    internal static void WriteNalUnit(IBufferWriter<byte> output, ReadOnlySpan<byte> nalUnit)
    {
        var span = output.GetSpan(StartCode.Length + nalUnit.Length);
        StartCode.CopyTo(span);
        nalUnit.CopyTo(span[StartCode.Length..]);
        output.Advance(StartCode.Length + nalUnit.Length);
    }

    private static ReadOnlySpan<byte> NextNalUnit(ref ReadOnlySpan<byte> remaining, int lengthSize)
    {
        if (remaining.Length < lengthSize)
        {
            throw new MediaFormatException(MediaFormatError.Truncated, "Access unit ends inside a NAL unit length.");
        }

        var length = lengthSize switch
        {
            1 => remaining[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(remaining),
            _ => BinaryPrimitives.ReadUInt32BigEndian(remaining),
        };
        if (length > (uint)(remaining.Length - lengthSize))
        {
            throw new MediaFormatException(MediaFormatError.Truncated, $"NAL unit of {length} bytes overruns the access unit.");
        }

        var nalUnit = remaining.Slice(lengthSize, (int)length);
        remaining = remaining[(lengthSize + (int)length)..];
        return nalUnit;
    }
}
