using LiveMicro.Media.Rtmp;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Rtmp;

public class RtmpUserControlEventTests
{
    public static TheoryData<string, string> Events => new()
    {
        { "StreamBegin", "02 000000 000006 04 00000000 0000 00000001" },
        { "StreamEof", "02 000000 000006 04 00000000 0001 00000001" },
        { "StreamDry", "02 000000 000006 04 00000000 0002 00000001" },
        { "StreamIsRecorded", "02 000000 000006 04 00000000 0004 00000001" },
        { "PingRequest", "02 000000 000006 04 00000000 0006 00000001" },
        { "PingResponse", "02 000000 000006 04 00000000 0007 00000001" },
        { "SetBufferLength", "02 000000 00000A 04 00000000 0003 00000001 00000BB8" },
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void Events_are_written_per_spec_and_parse_back(string name, string expectedHex)
    {
        var controlEvent = name switch
        {
            "StreamBegin" => RtmpUserControlEvent.StreamBegin(1),
            "StreamEof" => RtmpUserControlEvent.StreamEof(1),
            "StreamDry" => RtmpUserControlEvent.StreamDry(1),
            "StreamIsRecorded" => RtmpUserControlEvent.StreamIsRecorded(1),
            "PingRequest" => RtmpUserControlEvent.PingRequest(1),
            "PingResponse" => RtmpUserControlEvent.PingResponse(1),
            _ => RtmpUserControlEvent.SetBufferLength(1, 3000),
        };
        var bytes = Bytes.Write(output => controlEvent.WriteTo(new RtmpChunkWriter(), output));

        Assert.Equal(Vectors.Hex(expectedHex), bytes);
        var message = Assert.Single(ChunkFeeder.ReadAll(new RtmpChunkReader(), bytes));
        Assert.Equal(controlEvent, RtmpUserControlEvent.Parse(message.Payload));
    }

    [Fact]
    public void Set_buffer_length_from_a_player_parses_stream_and_milliseconds()
    {
        var controlEvent = RtmpUserControlEvent.Parse(Vectors.Hex("0003 00000001 00000BB8"));

        Assert.Equal(RtmpUserControlEventType.SetBufferLength, controlEvent.Type);
        Assert.Equal(1u, controlEvent.StreamId);
        Assert.Equal(3000u, controlEvent.BufferLengthMilliseconds);
    }

    [Theory]
    [InlineData("00")]
    [InlineData("0000 000000")]
    [InlineData("0003 00000001 0000")]
    public void Truncated_event_is_a_protocol_error(string hex)
    {
        var exception = Assert.Throws<RtmpProtocolException>(() => RtmpUserControlEvent.Parse(Vectors.Hex(hex)));

        Assert.Equal(RtmpProtocolError.MalformedControlMessage, exception.Error);
    }

    [Fact]
    public void Unknown_event_type_parses_for_the_caller_to_ignore()
    {
        var controlEvent = RtmpUserControlEvent.Parse(Vectors.Hex("001F 00000001"));

        Assert.Equal((RtmpUserControlEventType)31, controlEvent.Type);
    }
}
