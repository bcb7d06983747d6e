using System.Buffers;
using LiveMicro.Media.Flv;
using LiveMicro.Media.Rtmp;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Flv;

public class FlvReaderWriterTests
{
    private static readonly byte[] File = Vectors.Load("ffmpeg-h264-aac.flv");

    [Fact]
    public void Ffmpeg_flv_reads_into_script_video_and_audio_tags()
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(File));
        Assert.True(FlvReader.TryReadFileHeader(ref reader, out var hasAudio, out var hasVideo));
        Assert.True(hasAudio && hasVideo);

        var tags = FlvFile.ReadTags(File);

        Assert.Equal(FlvTagType.Script, tags[0].Header.Type);
        Assert.Equal(27, tags.Count(t => t.Header.Type == FlvTagType.Video));
        Assert.Equal(46, tags.Count(t => t.Header.Type == FlvTagType.Audio));
        Assert.Equal(new FlvTagHeader(FlvTagType.Video, 872, 40, false), tags[4].Header);
    }

    [Fact]
    public void Tags_written_back_reproduce_the_ffmpeg_file_byte_for_byte()
    {
        var tags = FlvFile.ReadTags(File);

        var written = Bytes.Write(output =>
        {
            FlvWriter.WriteFileHeader(output, hasAudio: true, hasVideo: true);
            foreach (var tag in tags)
            {
                FlvWriter.WriteTag(output, tag.Header.Type, tag.Header.Timestamp, tag.Data);
            }
        });

        Assert.Equal(File, written);
    }

    [Fact]
    public void Timestamp_above_24_bits_uses_the_extended_byte()
    {
        var bytes = Bytes.Write(output => FlvWriter.WriteTag(output, FlvTagType.Audio, 0x12345678, [0xAF, 0x01]));

        Assert.Equal(Vectors.Hex("08 000002 345678 12 000000 AF01 0000000D"), bytes);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        Assert.True(FlvReader.TryReadTag(ref reader, out var tag));
        Assert.Equal(0x12345678u, tag.Header.Timestamp);
    }

    [Fact]
    public void Rtmp_media_messages_from_ffmpeg_equal_the_flv_tags_it_published()
    {
        var tags = FlvFile.ReadTags(File).Where(t => t.Header.Type != FlvTagType.Script).ToList();
        var messages = ChunkFeeder.ReadAll(new RtmpChunkReader(), Vectors.Load("ffmpeg-publish-chunks.bin"))
            .Where(m => m.Header.Type is RtmpMessageType.Audio or RtmpMessageType.Video)
            .ToList();

        Assert.Equal(tags.Count, messages.Count);
        for (var i = 0; i < tags.Count; i++)
        {
            Assert.Equal((byte)tags[i].Header.Type, (byte)messages[i].Header.Type);
            Assert.Equal(tags[i].Header.Timestamp, messages[i].Header.Timestamp);
            Assert.Equal(tags[i].Data, messages[i].Payload);
        }
    }

    [Fact]
    public void File_split_at_every_offset_reads_the_same_tags()
    {
        var expected = FlvFile.ReadTags(File);

        for (var split = 1; split < File.Length; split++)
        {
            // Two segments, as a pipe presents data that arrived in two reads; the second read starts where
            // the reader stopped.
            var sequence = Bytes.Segmented(File.AsMemory(0, split), File.AsMemory(split));
            var index = 0;
            var partial = new SequenceReader<byte>(sequence.Slice(0, split));
            var headerDone = FlvReader.TryReadFileHeader(ref partial, out _, out _);
            if (headerDone)
            {
                ReadComparing(ref partial, expected, ref index, split);
            }

            var rest = new SequenceReader<byte>(sequence.Slice(partial.Consumed));
            if (!headerDone && !FlvReader.TryReadFileHeader(ref rest, out _, out _))
            {
                Assert.Fail($"split {split}: file header not read");
            }

            ReadComparing(ref rest, expected, ref index, split);
            if (rest.Remaining != 0 || index != expected.Count)
            {
                Assert.Fail($"split {split}: {index} tags, {rest.Remaining} bytes left");
            }
        }
    }

    private static void ReadComparing(ref SequenceReader<byte> reader, List<ReadTag> expected, ref int index, int split)
    {
        while (FlvReader.TryReadTag(ref reader, out var tag))
        {
            var wanted = expected[index++];
            var same = tag.Header == wanted.Header && (tag.Data.IsSingleSegment
                ? tag.Data.FirstSpan.SequenceEqual(wanted.Data)
                : tag.Data.ToArray().AsSpan().SequenceEqual(wanted.Data));
            if (!same)
            {
                Assert.Fail($"split {split}: tag {index - 1} differs");
            }
        }
    }

    [Theory]
    [InlineData("464C5601050000000900000000 09 000001 000000 00 000000 17 00000010", MediaFormatError.InvalidValue)]
    [InlineData("464C5601050000000900000000 09 FFFFFF 000000 00 000000", MediaFormatError.TooLarge)]
    [InlineData("41424301050000000900000000", MediaFormatError.InvalidValue)]
    [InlineData("464C5601050000000300000000", MediaFormatError.InvalidValue)]
    public void Corrupt_files_are_refused_with_a_typed_error(string hex, MediaFormatError error)
    {
        var bytes = Vectors.Hex(hex);

        var exception = Assert.Throws<MediaFormatException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
            if (FlvReader.TryReadFileHeader(ref reader, out _, out _))
            {
                FlvReader.TryReadTag(ref reader, out _);
            }
        });

        Assert.Equal(error, exception.Error);
    }
}
