using LiveMicro.Media.Flv;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Flv;

public class FlvTagHeaderTests
{
    [Fact]
    public void Ffmpeg_avc_tags_parse_into_sequence_header_keyframes_and_composition_times()
    {
        var videoTags = FlvFile.ReadTags(Vectors.Load("ffmpeg-h264-aac.flv")).Where(t => t.Header.Type == FlvTagType.Video).ToList();
        var headers = videoTags.Select(t =>
        {
            Assert.True(FlvVideoTagHeader.TryParse(t.Data, out var header));
            return header;
        }).ToList();

        Assert.True(headers[0].IsSequenceHeader);
        Assert.False(headers[0].IsKeyFrame);
        Assert.Equal(FlvVideoCodecId.Avc, headers[0].CodecId);
        Assert.Equal(FourCc.Avc, headers[0].FourCc);
        Assert.Equal(5, headers[0].DataOffset);
        Assert.Equal(FlvVideoPacketType.SequenceEnd, headers[^1].PacketType);
        Assert.Equal([0u, 400u, 800u], videoTags.Where((t, i) => headers[i].IsKeyFrame).Select(t => t.Header.Timestamp));

        // PTS - DTS from ffprobe: first frame 80 - 0, second 200 - 40.
        Assert.Equal(80, headers[1].CompositionTimeOffset);
        Assert.Equal(160, headers[2].CompositionTimeOffset);
    }

    [Fact]
    public void Ffmpeg_aac_tags_parse_into_sequence_header_and_raw_frames()
    {
        var audioTags = FlvFile.ReadTags(Vectors.Load("ffmpeg-h264-aac.flv")).Where(t => t.Header.Type == FlvTagType.Audio).ToList();

        Assert.True(FlvAudioTagHeader.TryParse(audioTags[0].Data, out var first));
        Assert.True(FlvAudioTagHeader.TryParse(audioTags[1].Data, out var second));

        Assert.Equal((FlvSoundFormat.Aac, FlvAudioPacketType.SequenceStart, 2, FourCc.Aac), (first.SoundFormat, first.PacketType, first.DataOffset, first.FourCc));
        Assert.Equal((FlvAudioPacketType.CodedFrames, 2), (second.PacketType, second.DataOffset));
    }

    [Theory]
    [InlineData("17 00 000000", FlvVideoFrameType.KeyFrame, FlvVideoPacketType.SequenceStart, 0, 5)]
    [InlineData("27 01 FFFFD8", FlvVideoFrameType.InterFrame, FlvVideoPacketType.CodedFrames, -40, 5)]
    [InlineData("17 02 000000", FlvVideoFrameType.KeyFrame, FlvVideoPacketType.SequenceEnd, 0, 5)]
    [InlineData("1C 01 000028", FlvVideoFrameType.KeyFrame, FlvVideoPacketType.CodedFrames, 40, 5)]
    [InlineData("22 AABB", FlvVideoFrameType.InterFrame, FlvVideoPacketType.CodedFrames, 0, 1)]
    [InlineData("57 01", FlvVideoFrameType.Command, FlvVideoPacketType.CodedFrames, 0, 1)]
    public void Legacy_video_headers_parse(string hex, FlvVideoFrameType frameType, FlvVideoPacketType packetType, int compositionTime, int dataOffset)
    {
        Assert.True(FlvVideoTagHeader.TryParse(Vectors.Hex(hex), out var header));

        Assert.False(header.IsEnhanced);
        Assert.Equal((frameType, packetType, compositionTime, dataOffset), (header.FrameType, header.PacketType, header.CompositionTimeOffset, header.DataOffset));
    }

    [Theory]
    // IsExHeader | FrameType | PacketType, FourCC, [SI24 composition time for avc1/hvc1 CodedFrames]
    [InlineData("90 68766331 01", "hvc1", FlvVideoPacketType.SequenceStart, 0, 5, false)]
    [InlineData("91 68766331 000028 00", "hvc1", FlvVideoPacketType.CodedFrames, 40, 8, true)]
    [InlineData("A3 68766331 00", "hvc1", FlvVideoPacketType.CodedFramesX, 0, 5, false)]
    [InlineData("93 61763031 00", "av01", FlvVideoPacketType.CodedFramesX, 0, 5, true)]
    [InlineData("91 61763031 00", "av01", FlvVideoPacketType.CodedFrames, 0, 5, true)]
    [InlineData("91 76703039 00", "vp09", FlvVideoPacketType.CodedFrames, 0, 5, true)]
    [InlineData("92 76703039", "vp09", FlvVideoPacketType.SequenceEnd, 0, 5, false)]
    [InlineData("94 68766331 02", "hvc1", FlvVideoPacketType.Metadata, 0, 5, false)]
    [InlineData("91 61766331 FFFFFF 00", "avc1", FlvVideoPacketType.CodedFrames, -1, 8, true)]
    [InlineData("97 02 AABBCC 01 68766331 000014", "hvc1", FlvVideoPacketType.CodedFrames, 20, 13, true)]
    public void Enhanced_video_headers_parse(string hex, string fourCc, FlvVideoPacketType packetType, int compositionTime, int dataOffset, bool isKeyFrame)
    {
        Assert.True(FlvVideoTagHeader.TryParse(Vectors.Hex(hex), out var header));

        Assert.True(header.IsEnhanced);
        Assert.Equal(fourCc, FourCc.ToString(header.FourCc));
        Assert.Equal((packetType, compositionTime, dataOffset, isKeyFrame), (header.PacketType, header.CompositionTimeOffset, header.DataOffset, header.IsKeyFrame));
    }

    [Fact]
    public void Enhanced_command_frame_has_no_fourcc_and_is_not_a_keyframe()
    {
        Assert.True(FlvVideoTagHeader.TryParse(Vectors.Hex("D1 00"), out var header));

        Assert.Equal((FlvVideoFrameType.Command, 0u, 1, false), (header.FrameType, header.FourCc, header.DataOffset, header.IsKeyFrame));
    }

    [Fact]
    public void Enhanced_multitrack_header_stops_before_the_track_list()
    {
        Assert.True(FlvVideoTagHeader.TryParse(Vectors.Hex("96 01 61763031 00 AABB"), out var header));

        Assert.True(header.IsMultitrack);
        Assert.Equal((FourCc.Av1, FlvVideoPacketType.CodedFrames, 6, true), (header.FourCc, header.PacketType, header.DataOffset, header.IsKeyFrame));
    }

    [Theory]
    [InlineData("")]
    [InlineData("17 00")]
    [InlineData("17 03 000000")]
    [InlineData("91 6876")]
    [InlineData("91 68766331 00")]
    [InlineData("97 05 AABB")]
    [InlineData("96")]
    public void Truncated_or_invalid_video_headers_are_rejected(string hex)
    {
        Assert.False(FlvVideoTagHeader.TryParse(Vectors.Hex(hex), out _));
    }

    [Theory]
    [InlineData("AF 00 1208", FlvSoundFormat.Aac, FlvAudioPacketType.SequenceStart, "mp4a", 2)]
    [InlineData("2F FFFB", FlvSoundFormat.Mp3, FlvAudioPacketType.CodedFrames, "\0\0\0\0", 1)]
    [InlineData("90 4F707573 00", FlvSoundFormat.ExHeader, FlvAudioPacketType.SequenceStart, "Opus", 5)]
    [InlineData("91 6D703461 00", FlvSoundFormat.ExHeader, FlvAudioPacketType.CodedFrames, "mp4a", 5)]
    [InlineData("97 00 AA 01 664C6143", FlvSoundFormat.ExHeader, FlvAudioPacketType.CodedFrames, "fLaC", 8)]
    public void Audio_headers_parse(string hex, FlvSoundFormat format, FlvAudioPacketType packetType, string fourCc, int dataOffset)
    {
        Assert.True(FlvAudioTagHeader.TryParse(Vectors.Hex(hex), out var header));

        Assert.Equal((format, packetType, fourCc, dataOffset), (header.SoundFormat, header.PacketType, FourCc.ToString(header.FourCc), header.DataOffset));
    }

    [Theory]
    [InlineData("")]
    [InlineData("AF")]
    [InlineData("AF 02")]
    [InlineData("91 6D70")]
    public void Truncated_or_invalid_audio_headers_are_rejected(string hex)
    {
        Assert.False(FlvAudioTagHeader.TryParse(Vectors.Hex(hex), out _));
    }
}
