using System.Buffers;
using System.Buffers.Binary;
using LiveMicro.Media.Mpeg2Ts;

namespace LiveMicro.Media.Ogg;

/// <summary>
/// Writes Opus packets as an Ogg Opus stream (RFC 7845) for a decoder that reads files or pipes (ffmpeg): the
/// identification header (OpusHead) and comment header (OpusTags) pages, then one page per packet, its granule
/// position the 48 kHz sample count at the packet's end. A page (RFC 3533 section 6):
/// <code>
/// "OggS" | version 0 | header type (0x02 first page) | granule position (64, LE) | serial (32, LE) |
/// page sequence (32, LE) | CRC (32, LE) | segment count | lacing values (255s, then the rest) | data
/// </code>
/// </summary>
public sealed class OggOpusWriter(uint serial)
{
    private const int MaxPacketLength = 255 * 255 - 1;

    private uint _sequence;

    /// <summary>The first two pages: OpusHead (version 1, <paramref name="channels"/>, no pre-skip, 48 kHz input,
    /// gain 0, mapping family 0) and an OpusTags with a vendor string and no comments.</summary>
    public void WriteHeaders(IBufferWriter<byte> output, byte channels)
    {
        Span<byte> head = stackalloc byte[19];
        "OpusHead"u8.CopyTo(head);
        head[8] = 1;
        head[9] = channels;
        BinaryPrimitives.WriteUInt16LittleEndian(head[10..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(head[12..], 48000);
        BinaryPrimitives.WriteInt16LittleEndian(head[16..], 0);
        head[18] = 0;
        WritePage(output, head, 0, firstPage: true);

        var vendor = "LiveMicro"u8;
        Span<byte> tags = stackalloc byte[8 + 4 + vendor.Length + 4];
        "OpusTags"u8.CopyTo(tags);
        BinaryPrimitives.WriteUInt32LittleEndian(tags[8..], (uint)vendor.Length);
        vendor.CopyTo(tags[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(tags[(12 + vendor.Length)..], 0);
        WritePage(output, tags, 0, firstPage: false);
    }

    /// <summary>One packet on a page of its own; <paramref name="granulePosition"/> is the 48 kHz sample count at
    /// its end. A packet too long for one page is refused (Opus packets are at most 1275 bytes per frame, 120 ms).</summary>
    public void WritePacket(IBufferWriter<byte> output, ReadOnlySpan<byte> packet, ulong granulePosition)
    {
        if (packet.IsEmpty || packet.Length > MaxPacketLength) throw new MediaFormatException(MediaFormatError.TooLarge, $"An Opus packet of {packet.Length} bytes.");
        WritePage(output, packet, granulePosition, firstPage: false);
    }

    private void WritePage(IBufferWriter<byte> output, ReadOnlySpan<byte> packet, ulong granulePosition, bool firstPage)
    {
        var segments = packet.Length / 255 + 1;
        var length = 27 + segments + packet.Length;
        var page = output.GetSpan(length)[..length];
        "OggS"u8.CopyTo(page);
        page[4] = 0;
        page[5] = (byte)(firstPage ? 0x02 : 0x00);
        BinaryPrimitives.WriteUInt64LittleEndian(page[6..], granulePosition);
        BinaryPrimitives.WriteUInt32LittleEndian(page[14..], serial);
        BinaryPrimitives.WriteUInt32LittleEndian(page[18..], _sequence++);
        BinaryPrimitives.WriteUInt32LittleEndian(page[22..], 0);
        page[26] = (byte)segments;
        // a packet ends with a lacing value under 255 (0 when its length is a multiple of 255)
        for (var i = 0; i < segments - 1; i++) page[27 + i] = 255;
        page[27 + segments - 1] = (byte)(packet.Length % 255);
        packet.CopyTo(page[(27 + segments)..]);
        BinaryPrimitives.WriteUInt32LittleEndian(page[22..], Crc(page));
        output.Advance(length);
    }

    /// <summary>Ogg's CRC-32: MPEG-2's polynomial and table, not reflected, starting at 0, no final XOR, over the page
    /// with its CRC field zero.</summary>
    internal static uint Crc(ReadOnlySpan<byte> page) => Crc32Mpeg2.Compute(page, initial: 0);
}
