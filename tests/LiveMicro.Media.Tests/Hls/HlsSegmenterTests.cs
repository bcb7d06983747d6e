using LiveMicro.Media.Flv;
using LiveMicro.Media.Hls;
using LiveMicro.Media.Mpeg2Ts;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Hls;

public class HlsSegmenterTests
{
    // The vector has keyframes at 80, 480 and 880 ms (ffprobe), and frames up to about 1 s.
    [Fact]
    public void Segments_are_cut_at_the_first_keyframe_past_the_target_and_start_with_program_tables()
    {
        var segmenter = new HlsSegmenter(TimeSpan.FromMilliseconds(300));
        var segments = new List<HlsSegmentData>();
        foreach (var tag in FlvFile.ReadTags(Vectors.Load("ffmpeg-h264-aac.flv")))
        {
            var completed = tag.Header.Type switch
            {
                FlvTagType.Video => segmenter.WriteVideoTag(tag.Header.Timestamp, tag.Data),
                FlvTagType.Audio => segmenter.WriteAudioTag(tag.Header.Timestamp, tag.Data),
                _ => null,
            };
            if (completed is not null)
            {
                segments.Add(completed);
            }
        }

        segments.Add(segmenter.Finish()!);

        Assert.Equal([0L, 1, 2], segments.Select(s => s.Sequence));
        Assert.Equal([0.4, 0.4], segments.Take(2).Select(s => s.Duration));
        Assert.All(segments, s =>
        {
            Assert.Equal(0, s.Data.Length % TsMuxer.PacketSize);
            Assert.Equal(TsMuxer.SyncByte, s.Data[0]);
            Assert.Equal(TsMuxer.PatPid, ((s.Data[1] & 0x1F) << 8) | s.Data[2]);
        });
        Assert.Null(segmenter.Finish());
    }

    [Fact]
    public void Nothing_is_segmented_before_the_first_keyframe_and_its_sequence_header()
    {
        var segmenter = new HlsSegmenter(TimeSpan.FromSeconds(2));

        Assert.Null(segmenter.WriteVideoTag(0, [0x27, 0x01, 0, 0, 0, 0, 0, 0, 1, 0x41]));
        Assert.Null(segmenter.Finish());
    }
}
