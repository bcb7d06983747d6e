using System.Buffers;
using System.Buffers.Binary;
using LiveMicro.Media.Ogg;

namespace LiveMicro.Media.Tests.Ogg;

/// <summary>The pages' layout and CRC; that ffmpeg reads the stream is shown end to end by the live service's WHIP test
/// (a browser's Opus comes out of ffmpeg as AAC).</summary>
public sealed class OggOpusWriterTests
{
    [Fact]
    public void Oggs_crc_is_the_unreflected_CRC_32_without_final_xor()
    {
        // CRC-32/POSIX ("cksum") is the same polynomial and start with a final XOR of all ones: its check value 0x765E7680
        Assert.Equal(~0x765E7680u, OggOpusWriter.Crc("123456789"u8));
    }

    [Fact]
    public void Headers_then_one_page_per_packet_each_with_its_sequence_granule_lacing_and_a_crc_that_checks_out()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new OggOpusWriter(serial: 0x01020304);
        writer.WriteHeaders(output, channels: 2);
        writer.WritePacket(output, new byte[300], granulePosition: 960);

        var pages = new List<byte[]>();
        for (var rest = output.WrittenMemory; !rest.IsEmpty;)
        {
            var span = rest.Span;
            var segments = span[26];
            var length = 27 + segments + span.Slice(27, segments).ToArray().Sum(b => b);
            pages.Add(span[..length].ToArray());
            rest = rest[length..];
        }

        Assert.Equal(3, pages.Count);
        Assert.Equal([0x02, 0x00, 0x00], pages.Select(p => p[5]));
        Assert.Equal([0u, 1u, 2u], pages.Select(p => BinaryPrimitives.ReadUInt32LittleEndian(p.AsSpan(18))));
        Assert.All(pages, p => Assert.Equal(0x01020304u, BinaryPrimitives.ReadUInt32LittleEndian(p.AsSpan(14))));
        Assert.Equal("OpusHead"u8.ToArray(), pages[0][28..36]);
        Assert.Equal(2, pages[0][28 + 9]);
        Assert.Equal("OpusTags"u8.ToArray(), pages[1][28..36]);
        Assert.Equal(960ul, BinaryPrimitives.ReadUInt64LittleEndian(pages[2].AsSpan(6)));
        Assert.Equal([2, 255, 45], pages[2][26..29]);
        foreach (var page in pages)
        {
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(22));
            page.AsSpan(22, 4).Clear();
            Assert.Equal(crc, OggOpusWriter.Crc(page));
        }
    }
}
