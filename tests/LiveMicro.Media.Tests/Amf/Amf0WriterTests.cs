using LiveMicro.Media.Amf;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Amf;

public class Amf0WriterTests
{
    [Fact]
    public void Connect_command_written_field_by_field_matches_ffmpeg_bytes()
    {
        var bytes = Bytes.Write(output =>
        {
            Amf0Writer.WriteString(output, "connect");
            Amf0Writer.WriteNumber(output, 1);
            Amf0Writer.WriteObjectStart(output);
            Amf0Writer.WriteProperty(output, "app", "live");
            Amf0Writer.WriteProperty(output, "type", "nonprivate");
            Amf0Writer.WriteProperty(output, "flashVer", "FMLE/3.0 (compatible; Lavf59.27.100)");
            Amf0Writer.WriteProperty(output, "tcUrl", "rtmp://127.0.0.1:19351/live");
            Amf0Writer.WriteObjectEnd(output);
        });

        Assert.Equal(Vectors.FfmpegConnectCommand, bytes);
    }

    [Fact]
    public void Decoded_values_written_back_are_byte_identical()
    {
        var original = Vectors.Hex(
            "0A 00000003 05 01 01 02 0001 78 08 00000001 0001 61 0B 4276F5E66E800000 0000 000009 0C 00000001 61 06" +
            "03 0001 6F 03 0001 69 00 3FF0000000000000 000009 000009");
        var values = new List<Amf0Value>();
        var reader = new Amf0Reader(original);
        while (!reader.IsAtEnd)
        {
            values.Add(reader.ReadValue());
        }

        var written = Bytes.Write(output => values.ForEach(value => Amf0Writer.WriteValue(output, value)));

        Assert.Equal(original, written);
    }

    [Fact]
    public void Ffmpeg_connect_command_round_trips()
    {
        var reader = new Amf0Reader(Vectors.FfmpegConnectCommand);
        var values = new[] { reader.ReadValue(), reader.ReadValue(), reader.ReadValue() };

        var written = Bytes.Write(output => Array.ForEach(values, value => Amf0Writer.WriteValue(output, value)));

        Assert.Equal(Vectors.FfmpegConnectCommand, written);
    }

    [Fact]
    public void String_over_65535_utf8_bytes_is_written_as_long_string()
    {
        var text = new string('é', 40_000);

        var bytes = Bytes.Write(output => Amf0Writer.WriteString(output, text));

        Assert.Equal((byte)Amf0Type.LongString, bytes[0]);
        Assert.Equal(text, new Amf0Reader(bytes).ReadValue().AsString());
    }

    [Fact]
    public void Self_containing_object_is_refused_instead_of_overflowing_the_stack()
    {
        var properties = new Amf0Object();
        properties.Add("self", Amf0Value.Object(properties));

        var exception = Assert.Throws<Amf0FormatException>(() => Bytes.Write(output => Amf0Writer.WriteValue(output, Amf0Value.Object(properties))));

        Assert.Equal(Amf0Error.NestingTooDeep, exception.Error);
    }
}
