using System.Buffers;
using LiveMicro.Media.Amf;
using LiveMicro.Media.Rtmp;
using LiveMicro.Media.Rtmp.Commands;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Rtmp;

public class RtmpCommandTests
{
    [Fact]
    public void Ffmpeg_publish_session_commands_decode_to_typed_commands()
    {
        var messages = ChunkFeeder.ReadAll(new RtmpChunkReader(), Vectors.Load("ffmpeg-publish-chunks.bin"));
        var commands = messages
            .Where(m => m.Header.Type == RtmpMessageType.CommandAmf0)
            .Select(m => RtmpCommandDecoder.Decode(m.Header.Type, m.Payload))
            .ToList();

        var connect = Assert.IsType<ConnectCommand>(commands[0]);
        Assert.Equal(1, connect.TransactionId);
        Assert.Equal("live", connect.App);
        Assert.Equal("rtmp://127.0.0.1:19351/live", connect.TcUrl);
        Assert.Equal("FMLE/3.0 (compatible; Lavf59.27.100)", connect.FlashVersion);
        Assert.Equal(0, connect.ObjectEncoding);
        Assert.Equal("test", Assert.IsType<ReleaseStreamCommand>(commands[1]).StreamName);
        Assert.Equal(2, commands[1].TransactionId);
        Assert.Equal("test", Assert.IsType<FCPublishCommand>(commands[2]).StreamName);
        Assert.Equal(4, Assert.IsType<CreateStreamCommand>(commands[3]).TransactionId);
        var publish = Assert.IsType<PublishCommand>(commands[4]);
        Assert.Equal(("test", "live", 5.0), (publish.StreamName, publish.PublishingType, publish.TransactionId));
    }

    [Fact]
    public void Play_with_all_arguments_decodes()
    {
        var payload = Bytes.Write(output =>
        {
            Amf0Writer.WriteString(output, "play");
            Amf0Writer.WriteNumber(output, 4);
            Amf0Writer.WriteNull(output);
            Amf0Writer.WriteString(output, "cam1?token=abc");
            Amf0Writer.WriteNumber(output, -1000);
            Amf0Writer.WriteNumber(output, -1);
            Amf0Writer.WriteBoolean(output, false);
        });

        var play = Assert.IsType<PlayCommand>(RtmpCommandDecoder.Decode(RtmpMessageType.CommandAmf0, payload));

        Assert.Equal(("cam1?token=abc", -1000.0, -1.0, false), (play.StreamName, play.Start, play.Duration, play.Reset));
    }

    [Fact]
    public void Play_with_only_a_name_gets_the_spec_defaults()
    {
        var payload = Bytes.Write(output =>
        {
            Amf0Writer.WriteString(output, "play");
            Amf0Writer.WriteNumber(output, 0);
            Amf0Writer.WriteNull(output);
            Amf0Writer.WriteString(output, "cam1");
        });

        var play = Assert.IsType<PlayCommand>(RtmpCommandDecoder.Decode(RtmpMessageType.CommandAmf0, payload));

        Assert.Equal((PlayCommand.StartLiveOrRecorded, PlayCommand.DurationUntilEnd, true), (play.Start, play.Duration, play.Reset));
    }

    [Fact]
    public void Play2_parameters_decode()
    {
        var payload = Bytes.Write(output =>
        {
            Amf0Writer.WriteString(output, "play2");
            Amf0Writer.WriteNumber(output, 0);
            Amf0Writer.WriteNull(output);
            Amf0Writer.WriteObjectStart(output);
            Amf0Writer.WriteProperty(output, "streamName", "cam1_720p");
            Amf0Writer.WriteProperty(output, "oldStreamName", "cam1_480p");
            Amf0Writer.WriteProperty(output, "start", -2);
            Amf0Writer.WriteProperty(output, "transition", "switch");
            Amf0Writer.WriteObjectEnd(output);
        });

        var play2 = Assert.IsType<Play2Command>(RtmpCommandDecoder.Decode(RtmpMessageType.CommandAmf0, payload));

        Assert.Equal(("cam1_720p", "cam1_480p", -2.0, "switch"), (play2.StreamName, play2.OldStreamName, play2.Start, play2.Transition));
    }

    [Theory]
    [InlineData("deleteStream", typeof(DeleteStreamCommand))]
    [InlineData("closeStream", typeof(CloseStreamCommand))]
    [InlineData("FCUnpublish", typeof(FCUnpublishCommand))]
    [InlineData("getStreamLength", typeof(GetStreamLengthCommand))]
    [InlineData("_checkbw", typeof(UnknownCommand))]
    public void Stream_lifecycle_commands_decode_to_their_types(string name, Type type)
    {
        var payload = Bytes.Write(output =>
        {
            Amf0Writer.WriteString(output, name);
            Amf0Writer.WriteNumber(output, 6);
            Amf0Writer.WriteNull(output);
            if (name == "deleteStream")
            {
                Amf0Writer.WriteNumber(output, 1);
            }
            else
            {
                Amf0Writer.WriteString(output, "cam1");
            }
        });

        var command = RtmpCommandDecoder.Decode(RtmpMessageType.CommandAmf0, payload);

        Assert.IsType(type, command);
        Assert.Equal(6, command.TransactionId);
    }

    [Fact]
    public void Amf3_command_message_skips_its_format_byte()
    {
        byte[] payload = [0x00, .. Vectors.FfmpegPublishCommand];

        var command = RtmpCommandDecoder.Decode(RtmpMessageType.CommandAmf3, payload);

        Assert.Equal("test", Assert.IsType<PublishCommand>(command).StreamName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("05")]
    [InlineData("0200077075626c69736800401400000000000005")]
    [InlineData("020007636f6e6e656374003ff000000000000005")]
    [InlineData("0200077075626c697368 02 0001 61")]
    [InlineData("020007636f6e6e656374003ff0000000000000 07 0001")]
    public void Malformed_commands_are_protocol_errors(string hex)
    {
        var exception = Assert.Throws<RtmpProtocolException>(() => RtmpCommandDecoder.Decode(RtmpMessageType.CommandAmf0, Vectors.Hex(hex)));

        Assert.Equal(RtmpProtocolError.MalformedCommand, exception.Error);
    }

    [Fact]
    public void On_status_publish_start_is_written_byte_for_byte()
    {
        var bytes = Bytes.Write(output => RtmpCommandWriter.WriteOnStatus(output, RtmpStatusLevel.Status, RtmpStatusCode.PublishStart, "go"));

        Assert.Equal(Vectors.Hex(
            "0200086f6e537461747573000000000000000000050300056c6576656c0200067374617475730004636f64650200174e657453747265616d2e5075626c6973682e5374617274000b6465736372697074696f6e020002676f000009"), bytes);
    }

    [Fact]
    public void Create_stream_result_is_written_byte_for_byte()
    {
        var bytes = Bytes.Write(output => RtmpCommandWriter.WriteCreateStreamResult(output, 4, 1));

        Assert.Equal(Vectors.Hex("0200075f726573756c7400401000000000000005003ff0000000000000"), bytes);
    }

    [Fact]
    public void Connect_result_carries_properties_and_success_information()
    {
        var bytes = Bytes.Write(output => RtmpCommandWriter.WriteConnectResult(output, 1, 0));

        var reader = new Amf0Reader(bytes);
        Assert.Equal("_result", reader.ReadString());
        Assert.Equal(1, reader.ReadNumber());
        var properties = reader.ReadValue().AsObject();
        var information = reader.ReadValue().AsObject();
        Assert.True(reader.IsAtEnd);
        Assert.Equal(RtmpCommandWriter.DefaultServerVersion, properties.GetString("fmsVer"));
        Assert.Equal(RtmpStatusLevel.Status, information.GetString("level"));
        Assert.Equal(RtmpStatusCode.ConnectSuccess, information.GetString("code"));
        Assert.Equal(0, information.GetNumber("objectEncoding"));
    }

    [Fact]
    public void Error_answer_carries_error_level_and_code()
    {
        var bytes = Bytes.Write(output => RtmpCommandWriter.WriteError(output, 5, RtmpStatusCode.PublishBadName, "Stream name is already in use."));

        var reader = new Amf0Reader(bytes);
        Assert.Equal("_error", reader.ReadString());
        Assert.Equal(5, reader.ReadNumber());
        Assert.True(reader.TryReadNullOrUndefined());
        var information = reader.ReadValue().AsObject();
        Assert.Equal((RtmpStatusLevel.Error, RtmpStatusCode.PublishBadName), (information.GetString("level"), information.GetString("code")));
    }

    [Fact]
    public void Set_data_frame_is_stripped_to_the_on_metadata_payload_players_expect()
    {
        var messages = ChunkFeeder.ReadAll(new RtmpChunkReader(), Vectors.Load("ffmpeg-publish-chunks.bin"));
        var data = messages.First(m => m.Header.Type == RtmpMessageType.DataAmf0);

        Assert.True(RtmpDataMessage.TryStripSetDataFrame(data.Payload, out var metadata));

        var (handler, values) = RtmpDataMessage.Decode(metadata);
        Assert.Equal(RtmpDataMessage.OnMetaData, handler);
        var properties = Assert.Single(values).AsObject();
        Assert.Equal(160, properties.GetNumber("width"));
        Assert.Equal(120, properties.GetNumber("height"));
        Assert.Equal(7, properties.GetNumber("videocodecid"));
        Assert.Equal(10, properties.GetNumber("audiocodecid"));
        Assert.True(RtmpDataMessage.DeclaresAudio(metadata));
    }

    [Fact]
    public void Metadata_without_an_audio_codec_declares_no_audio()
    {
        var metadata = new ArrayBufferWriter<byte>();
        Amf0Writer.WriteString(metadata, RtmpDataMessage.OnMetaData);
        Amf0Writer.WriteEcmaArrayStart(metadata, 2);
        Amf0Writer.WriteProperty(metadata, "videocodecid", 7);
        // a value that merely mentions the name is not the property
        Amf0Writer.WriteProperty(metadata, "encoder", "audiocodecid");
        Amf0Writer.WriteObjectEnd(metadata);

        Assert.False(RtmpDataMessage.DeclaresAudio(metadata.WrittenSpan));
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    public void Mutated_commands_decode_or_throw_rtmp_protocol_exception(int fallbackSeed)
    {
        var messages = ChunkFeeder.ReadAll(new RtmpChunkReader(), Vectors.Load("ffmpeg-publish-chunks.bin"));
        var corpus = messages.Where(m => m.Header.Type == RtmpMessageType.CommandAmf0).Select(m => m.Payload).ToList();

        Fuzz.Run<RtmpProtocolException>(Fuzz.Seed(fallbackSeed), 10_000, corpus,
            input => RtmpCommandDecoder.Decode(RtmpMessageType.CommandAmf0, input),
            allocationBudget: length => 4096 + (length * 128L));
    }
}
