using System.Buffers;
using LiveMicro.Media.Flv;
using LiveMicro.Media.Mpeg2Ts;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Mpeg2Ts;

public class TsMuxerTests
{
    // ffmpeg 5.1 "-f mpegts" output for the same program layout (video 0x100, audio 0x101, PMT 0x1000).
    private static readonly byte[] FfmpegPat = [.. Vectors.Hex("474000100000b00d0001c100000001f0002ab104b2"), .. Enumerable.Repeat((byte)0xFF, 167)];
    private static readonly byte[] FfmpegPmt = [.. Vectors.Hex("475000100002b0170001c10000e100f0001be100f0000fe101f0002f44b99b"), .. Enumerable.Repeat((byte)0xFF, 157)];

    [Fact]
    public void Crc32_of_a_known_pat_section_matches_and_checks_to_zero()
    {
        var section = Vectors.Hex("00b00d0001c100000001f000 2ab104b2");

        Assert.Equal(0x2AB104B2u, Crc32Mpeg2.Compute(section.AsSpan(0, 12)));
        Assert.Equal(0u, Crc32Mpeg2.Compute(section));
    }

    [Fact]
    public void Crc32_check_value_of_123456789()
    {
        Assert.Equal(0x0376E6E7u, Crc32Mpeg2.Compute("123456789"u8));
    }

    [Fact]
    public void Program_tables_match_ffmpeg_byte_for_byte()
    {
        var bytes = Bytes.Write(output => new TsMuxer(hasVideo: true, hasAudio: true).WriteProgramTables(output));

        Assert.Equal([.. FfmpegPat, .. FfmpegPmt], bytes);
    }

    [Fact]
    public void Audio_only_program_carries_its_pcr_on_the_audio_pid()
    {
        var bytes = Bytes.Write(output => new TsMuxer(hasVideo: false, hasAudio: true).WriteProgramTables(output));
        var pmt = bytes.AsSpan(TsMuxer.PacketSize);

        Assert.Equal(0xE101, (pmt[13] << 8) | pmt[14]);
        Assert.Equal(0u, Crc32Mpeg2.Compute(pmt.Slice(5, 3 + (((pmt[6] & 0x0F) << 8) | pmt[7]))));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(169)]
    [InlineData(170)]
    [InlineData(171)]
    [InlineData(184)]
    [InlineData(1000)]
    public void Pes_is_split_into_188_byte_packets_with_the_last_one_stuffed(int payloadLength)
    {
        var payload = Enumerable.Range(0, payloadLength).Select(i => (byte)(i + 1)).ToArray();
        var muxer = new TsMuxer(hasVideo: false, hasAudio: true);

        var bytes = Bytes.Write(output => muxer.WriteAudio(output, 90_000, -1, payload));

        var packets = TsPackets.Split(bytes);
        Assert.All(packets, p => Assert.Equal(TsMuxer.SyncByte, p[0]));
        var pes = TsPackets.Payloads(packets, TsMuxer.AudioPid).Single();
        Assert.Equal(14 + payloadLength, pes.Length);
        Assert.Equal(payload, pes[14..]);
        Assert.Equal(90_000, TsPackets.ReadTimestamp(pes.AsSpan(9)));
    }

    [Fact]
    public void Payload_of_183_bytes_gets_a_one_byte_adaptation_field()
    {
        var muxer = new TsMuxer(hasVideo: true, hasAudio: true);

        // 14 bytes of PES header + 169 = 183: exactly one byte short of a full packet. With video in the program,
        // audio carries neither PCR nor random access flag, so the adaptation field is pure stuffing.
        var packet = Bytes.Write(output => muxer.WriteAudio(output, 0, -1, new byte[169]));

        Assert.Equal(TsMuxer.PacketSize, packet.Length);
        Assert.Equal(0x30, packet[3] & 0x30);
        Assert.Equal(0, packet[4]);
        Assert.Equal([0, 0, 1, 0xC0], packet[5..9]);
    }

    [Fact]
    public void Remuxed_ffmpeg_flv_is_well_formed_transport_stream()
    {
        var ts = RemuxFile();

        Assert.Equal(0, ts.Length % TsMuxer.PacketSize);
        var packets = TsPackets.Split(ts);
        Assert.All(packets, p => Assert.Equal(TsMuxer.SyncByte, p[0]));
        Assert.Equal(FfmpegPat, packets[0]);
        Assert.Equal(FfmpegPmt, packets[1]);

        // Continuity counters advance by one per packet on each PID.
        foreach (var group in packets.GroupBy(TsPackets.Pid))
        {
            var counters = group.Select(p => p[3] & 0x0F).ToList();
            Assert.All(counters.Skip(1).Zip(counters), pair => Assert.Equal((pair.Second + 1) & 0x0F, pair.First));
        }

        var videoPes = TsPackets.Payloads(packets, TsMuxer.VideoPid);
        var audioPes = TsPackets.Payloads(packets, TsMuxer.AudioPid);
        Assert.Equal(25, videoPes.Count);
        Assert.Equal(45, audioPes.Count);

        // First frame: DTS 0 ms, PTS 80 ms, both shifted by the presentation delay; keyframe with AUD then SPS.
        Assert.Equal(FlvTsRemuxer.PresentationDelay + (80 * 90), TsPackets.ReadTimestamp(videoPes[0].AsSpan(9)));
        Assert.Equal(FlvTsRemuxer.PresentationDelay, TsPackets.ReadTimestamp(videoPes[0].AsSpan(14)));
        Assert.Equal(Vectors.Hex("00000001 09F0 00000001 67"), videoPes[0][19..30]);

        // Each video PES starts with a PCR; keyframes also with the random access flag.
        var firstVideoPacket = packets.First(p => TsPackets.Pid(p) == TsMuxer.VideoPid);
        Assert.Equal(0x50, firstVideoPacket[5]);
    }

    [Fact]
    public void Ffprobe_reads_h264_and_aac_with_every_frame_from_the_remuxed_flv()
    {
        var path = Path.Combine(Path.GetTempPath(), $"livemicro-{Guid.NewGuid():N}.ts");
        File.WriteAllBytes(path, RemuxFile());
        try
        {
            var (output, errors) = Ffprobe.Run("-v", "error", "-count_frames", "-show_entries", "stream=codec_name,nb_read_frames", "-of", "csv=p=0", path);

            Assert.Equal("", errors.Trim());
            // ffprobe lists each stream twice: under its program and on its own.
            Assert.Equal(["h264,25", "aac,45"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Video_before_its_sequence_header_is_skipped_and_other_codecs_are_unsupported()
    {
        var remuxer = new FlvTsRemuxer();
        var output = new ArrayBufferWriter<byte>();

        Assert.Equal(TsRemuxOutcome.Skipped, remuxer.WriteVideoTag(output, 0, Vectors.Hex("17 01 000000 00000001 65")));
        Assert.Equal(TsRemuxOutcome.Unsupported, remuxer.WriteVideoTag(output, 0, Vectors.Hex("91 68766331 000000 00000001 26")));
        Assert.Equal(TsRemuxOutcome.Unsupported, remuxer.WriteAudioTag(output, 0, Vectors.Hex("2F FFFB")));
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void Remuxing_frames_does_not_allocate_once_warm()
    {
        var tags = FlvFile.ReadTags(Vectors.Load("ffmpeg-h264-aac.flv"));
        var remuxer = new FlvTsRemuxer();
        var output = new ArrayBufferWriter<byte>(1 << 20);
        RemuxTags(remuxer, output, tags);
        var media = tags.Where(t => t.Header.Type != FlvTagType.Script && t.Data[1] == 1).ToList();
        output.ResetWrittenCount();

        var before = GC.GetAllocatedBytesForCurrentThread();
        RemuxTags(remuxer, output, media);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(41)]
    [InlineData(42)]
    public void Mutated_tags_remux_or_throw_media_format_exception_and_output_stays_packetized(int fallbackSeed)
    {
        var tags = FlvFile.ReadTags(Vectors.Load("ffmpeg-h264-aac.flv")).Where(t => t.Header.Type != FlvTagType.Script).ToList();
        var corpus = tags.Take(6).Select(t => (byte[])[(byte)t.Header.Type, .. t.Data]).ToList();
        var remuxer = new FlvTsRemuxer();
        RemuxTags(remuxer, new ArrayBufferWriter<byte>(), tags.Take(3).ToList());

        Fuzz.Run<MediaFormatException>(Fuzz.Seed(fallbackSeed), 5_000, corpus, input =>
        {
            var output = new ArrayBufferWriter<byte>();
            try
            {
                if (input.Length > 0 && input[0] == (byte)FlvTagType.Video)
                {
                    remuxer.WriteVideoTag(output, 40, input.AsSpan(1));
                }
                else if (input.Length > 0)
                {
                    remuxer.WriteAudioTag(output, 40, input.AsSpan(1));
                }
            }
            finally
            {
                Assert.Equal(0, output.WrittenCount % TsMuxer.PacketSize);
            }
        }, allocationBudget: length => 65536 + (length * 16L));
    }

    internal static byte[] RemuxFile()
    {
        var remuxer = new FlvTsRemuxer();
        var output = new ArrayBufferWriter<byte>();
        remuxer.WriteProgramTables(output);
        RemuxTags(remuxer, output, FlvFile.ReadTags(Vectors.Load("ffmpeg-h264-aac.flv")));
        return output.WrittenSpan.ToArray();
    }

    private static void RemuxTags(FlvTsRemuxer remuxer, IBufferWriter<byte> output, List<ReadTag> tags)
    {
        foreach (var tag in tags)
        {
            _ = tag.Header.Type switch
            {
                FlvTagType.Video => remuxer.WriteVideoTag(output, tag.Header.Timestamp, tag.Data),
                FlvTagType.Audio => remuxer.WriteAudioTag(output, tag.Header.Timestamp, tag.Data),
                _ => TsRemuxOutcome.Skipped,
            };
        }
    }
}
