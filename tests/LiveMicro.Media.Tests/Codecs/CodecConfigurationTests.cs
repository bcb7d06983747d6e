using System.Buffers;
using LiveMicro.Media.Codecs;
using LiveMicro.Media.Flv;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Codecs;

public class CodecConfigurationTests
{
    private static readonly List<ReadTag> Tags = FlvFile.ReadTags(Vectors.Load("ffmpeg-h264-aac.flv"));

    private static byte[] AvcSequenceHeader => Tags.First(t => t.Header.Type == FlvTagType.Video).Data[5..];

    private static byte[] AacSequenceHeader => Tags.First(t => t.Header.Type == FlvTagType.Audio).Data[2..];

    [Fact]
    public void Ffmpeg_avc_decoder_configuration_record_parses()
    {
        var record = AvcDecoderConfigurationRecord.Parse(AvcSequenceHeader);

        Assert.Equal((0x64, 0x00, 0x0B, 4), (record.Profile, record.ProfileCompatibility, record.Level, record.NalUnitLengthSize));
        Assert.Equal(Vectors.Hex("6764000bacd942847e5c044000000300400000 0c83c50a6580"), Assert.Single(record.SequenceParameterSets));
        Assert.Equal(Vectors.Hex("68ef8fcb"), Assert.Single(record.PictureParameterSets));
        Assert.Equal("avc1.64000b", record.CodecString);
    }

    [Theory]
    [InlineData("01640028", MediaFormatError.Truncated)]
    [InlineData("02640028FFE1000167 0100", MediaFormatError.InvalidValue)]
    [InlineData("01640028FEE1000167 0100", MediaFormatError.InvalidValue)]
    [InlineData("01640028FFE1000567 0100", MediaFormatError.Truncated)]
    [InlineData("01640028FFE1000167", MediaFormatError.Truncated)]
    [InlineData("01640028FFE1000167 01 0005 68", MediaFormatError.Truncated)]
    public void Malformed_avc_records_are_refused(string hex, MediaFormatError error)
    {
        var exception = Assert.Throws<MediaFormatException>(() => AvcDecoderConfigurationRecord.Parse(Vectors.Hex(hex)));

        Assert.Equal(error, exception.Error);
    }

    [Fact]
    public void Ffmpeg_audio_specific_config_with_sync_extension_parses_to_the_core_config()
    {
        var config = AudioSpecificConfig.Parse(AacSequenceHeader);

        Assert.Equal((2, 4, 44100, 1, 0), (config.ObjectType, config.SamplingFrequencyIndex, config.SamplingFrequency, config.ChannelConfiguration, config.ExtensionObjectType));
        Assert.Equal("mp4a.40.2", config.CodecString);
    }

    [Theory]
    [InlineData("1210", 2, 4, 44100, 2, 0)]
    [InlineData("1190", 2, 3, 48000, 2, 0)]
    [InlineData("2B92 08", 2, 7, 22050, 2, 5)]
    [InlineData("EB09 88", 2, 6, 24000, 1, 29)]
    [InlineData("1780960010", 2, 15, 76800, 2, 0)]
    [InlineData("F8E840", 39, 4, 44100, 2, 0)]
    public void Audio_specific_configs_parse(string hex, int objectType, int frequencyIndex, int frequency, int channels, int extension)
    {
        var config = AudioSpecificConfig.Parse(Vectors.Hex(hex));

        Assert.Equal((objectType, frequencyIndex, channels, extension), (config.ObjectType, config.SamplingFrequencyIndex, config.ChannelConfiguration, config.ExtensionObjectType));
        Assert.Equal(frequency, config.SamplingFrequency);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12")]
    [InlineData("16 80")]
    public void Truncated_or_reserved_audio_specific_configs_are_refused(string hex)
    {
        Assert.Throws<MediaFormatException>(() => AudioSpecificConfig.Parse(Vectors.Hex(hex)));
    }

    [Fact]
    public void Adts_frames_match_what_ffmpeg_writes_for_the_same_aac()
    {
        var config = AudioSpecificConfig.Parse(AacSequenceHeader);
        var rawFrames = Tags.Where(t => t.Header.Type == FlvTagType.Audio).Skip(1).Select(t => t.Data[2..]);

        var adts = Bytes.Write(output =>
        {
            foreach (var frame in rawFrames)
            {
                var span = output.GetSpan(AudioSpecificConfig.AdtsHeaderLength + frame.Length);
                config.WriteAdtsHeader(span, frame.Length);
                frame.CopyTo(span[AudioSpecificConfig.AdtsHeaderLength..]);
                output.Advance(AudioSpecificConfig.AdtsHeaderLength + frame.Length);
            }
        });

        Assert.Equal(Vectors.Load("ffmpeg-h264-aac.adts"), adts);
    }

    [Fact]
    public void Adts_frames_ffmpeg_wrote_read_back_as_the_flv_files_raw_frames_and_configuration()
    {
        var config = AudioSpecificConfig.Parse(AacSequenceHeader);
        var rawFrames = Tags.Where(t => t.Header.Type == FlvTagType.Audio).Skip(1).Select(t => Convert.ToHexString(t.Data[2..])).ToList();
        var adts = Vectors.Load("ffmpeg-h264-aac.adts").AsSpan();
        var read = new List<string>();

        while (AudioSpecificConfig.TryReadAdtsFrame(adts, out var frameConfig, out var payload, out var length))
        {
            Assert.Equal((config.ObjectType, config.SamplingFrequency, config.ChannelConfiguration),
                (frameConfig.ObjectType, frameConfig.SamplingFrequency, frameConfig.ChannelConfiguration));
            // ffmpeg's FLV sequence header adds the explicit (backward-compatible) extension signalling after these two
            Assert.Equal(Convert.ToHexString(AacSequenceHeader[..2]), Convert.ToHexString(frameConfig.ToBytes()));
            read.Add(Convert.ToHexString(payload));
            adts = adts[length..];
        }

        Assert.True(adts.IsEmpty);
        Assert.Equal(rawFrames, read);
        Assert.False(AudioSpecificConfig.TryReadAdtsFrame(Vectors.Load("ffmpeg-h264-aac.adts").AsSpan(0, 20), out _, out _, out _));
        Assert.Throws<MediaFormatException>(() => AudioSpecificConfig.TryReadAdtsFrame(new byte[10], out _, out _, out _));
    }

    [Fact]
    public void Adts_refuses_object_types_its_profile_field_cannot_carry()
    {
        var config = AudioSpecificConfig.Parse(Vectors.Hex("F8E840"));

        var exception = Assert.Throws<MediaFormatException>(() => config.WriteAdtsHeader(new byte[7], 100));

        Assert.Equal(MediaFormatError.Unsupported, exception.Error);
    }

    [Fact]
    public void Annex_b_access_unit_starts_with_an_aud_and_keyframes_carry_the_parameter_sets()
    {
        var record = AvcDecoderConfigurationRecord.Parse(AvcSequenceHeader);
        byte[] accessUnit = [.. Vectors.Hex("00000002 0910 00000003 658888"), .. Vectors.Hex("00000002 4101")];

        var keyFrame = Bytes.Write(output => AvcAnnexB.WriteAccessUnit(output, accessUnit, record, isKeyFrame: true));
        var interFrame = Bytes.Write(output => AvcAnnexB.WriteAccessUnit(output, accessUnit, record, isKeyFrame: false));

        byte[] aud = Vectors.Hex("00000001 09F0");
        byte[] slices = Vectors.Hex("00000001 658888 00000001 4101");
        Assert.Equal([.. aud, 0, 0, 0, 1, .. record.SequenceParameterSets[0], 0, 0, 0, 1, .. record.PictureParameterSets[0], .. slices], keyFrame);
        Assert.Equal([.. aud, .. slices], interFrame);
    }

    [Fact]
    public void Annex_b_keyframe_that_already_has_an_sps_is_not_given_a_second_one()
    {
        var record = AvcDecoderConfigurationRecord.Parse(AvcSequenceHeader);
        byte[] accessUnit = Vectors.Hex("00000002 6742 00000001 68 00000002 6588");

        var annexB = Bytes.Write(output => AvcAnnexB.WriteAccessUnit(output, accessUnit, record, isKeyFrame: true));

        Assert.Equal(Vectors.Hex("00000001 09F0 00000001 6742 00000001 68 00000001 6588"), annexB);
    }

    [Fact]
    public void Annex_b_nal_length_past_the_access_unit_is_refused()
    {
        var record = AvcDecoderConfigurationRecord.Parse(AvcSequenceHeader);

        var exception = Assert.Throws<MediaFormatException>(() => Bytes.Write(output => AvcAnnexB.WriteAccessUnit(output, Vectors.Hex("00000010 6588"), record, true)));

        Assert.Equal(MediaFormatError.Truncated, exception.Error);
    }

    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    public void Mutated_flv_files_and_codec_configs_parse_or_throw_media_format_exception(int fallbackSeed)
    {
        var file = Vectors.Load("ffmpeg-h264-aac.flv");
        var corpus = new[] { file[..3000], [.. file[..13], .. file[^2500..]], AvcSequenceHeader, AacSequenceHeader };

        Fuzz.Run<MediaFormatException>(Fuzz.Seed(fallbackSeed), 5_000, corpus, input =>
        {
            if (input.Length > 3 && input[0] == (byte)'F')
            {
                foreach (var tag in ReadTagsTolerant(input))
                {
                    InspectTag(tag);
                }
            }
            else
            {
                InspectCodecConfig(input);
            }
        }, allocationBudget: length => 16384 + (length * 16L));
    }

    private static IEnumerable<ReadTag> ReadTagsTolerant(byte[] input)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(input));
        var tags = new List<ReadTag>();
        if (FlvReader.TryReadFileHeader(ref reader, out _, out _))
        {
            while (FlvReader.TryReadTag(ref reader, out var tag))
            {
                tags.Add(new ReadTag(tag.Header, tag.Data.ToArray()));
            }
        }

        return tags;
    }

    private static void InspectTag(ReadTag tag)
    {
        if (tag.Header.Type == FlvTagType.Video && FlvVideoTagHeader.TryParse(tag.Data, out var video) && video.IsSequenceHeader && video.FourCc == FourCc.Avc)
        {
            AvcDecoderConfigurationRecord.Parse(tag.Data.AsSpan(video.DataOffset));
        }

        if (tag.Header.Type == FlvTagType.Audio && FlvAudioTagHeader.TryParse(tag.Data, out var audio) && audio.IsSequenceHeader)
        {
            AudioSpecificConfig.Parse(tag.Data.AsSpan(audio.DataOffset));
        }
    }

    private static void InspectCodecConfig(byte[] input)
    {
        try
        {
            var record = AvcDecoderConfigurationRecord.Parse(input);
            Bytes.Write(output => AvcAnnexB.WriteAccessUnit(output, input, record, true));
        }
        catch (MediaFormatException)
        {
        }

        var config = AudioSpecificConfig.Parse(input);
        config.WriteAdtsHeader(new byte[7], input.Length);
    }
}
