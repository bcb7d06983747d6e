using LiveMicro.Media.Amf;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Amf;

public class Amf0ReaderTests
{
    [Fact]
    public void Ffmpeg_connect_command_decodes_to_name_transaction_and_command_object()
    {
        var reader = new Amf0Reader(Vectors.FfmpegConnectCommand);

        Assert.Equal("connect", reader.ReadString());
        Assert.Equal(1.0, reader.ReadNumber());
        var commandObject = reader.ReadValue().AsObject();
        Assert.True(reader.IsAtEnd);

        Assert.Equal(["app", "type", "flashVer", "tcUrl"], commandObject.Select(p => p.Key));
        Assert.Equal("live", commandObject.GetString("app"));
        Assert.Equal("nonprivate", commandObject.GetString("type"));
        Assert.Equal("FMLE/3.0 (compatible; Lavf59.27.100)", commandObject.GetString("flashVer"));
        Assert.Equal("rtmp://127.0.0.1:19351/live", commandObject.GetString("tcUrl"));
    }

    [Theory]
    [InlineData("00 3FF0000000000000", Amf0Type.Number, "1")]
    [InlineData("00 C000000000000000", Amf0Type.Number, "-2")]
    [InlineData("01 00", Amf0Type.Boolean, "false")]
    [InlineData("01 01", Amf0Type.Boolean, "true")]
    [InlineData("02 0003 616263", Amf0Type.String, "abc")]
    [InlineData("02 0000", Amf0Type.String, "")]
    [InlineData("02 0002 C3A9", Amf0Type.String, "é")]
    [InlineData("0C 00000003 616263", Amf0Type.LongString, "abc")]
    [InlineData("05", Amf0Type.Null, "null")]
    [InlineData("06", Amf0Type.Undefined, "undefined")]
    [InlineData("0B 4276F5E66E800000 0000", Amf0Type.Date, "Date(1577836800000)")]
    public void Scalar_values_decode_per_spec(string hex, Amf0Type type, string text)
    {
        var reader = new Amf0Reader(Vectors.Hex(hex));

        var value = reader.ReadValue();

        Assert.Equal(type, value.Type);
        Assert.Equal(text, value.ToString());
        Assert.True(reader.IsAtEnd);
    }

    [Fact]
    public void Ecma_array_decodes_its_properties_regardless_of_the_count_hint()
    {
        // Count says 5, but only one property is present before the end marker.
        var reader = new Amf0Reader(Vectors.Hex("08 00000005 0001 61 00 4000000000000000 000009"));

        var value = reader.ReadValue();

        Assert.Equal(Amf0Type.EcmaArray, value.Type);
        Assert.Equal(2.0, value.AsObject().GetNumber("a"));
        Assert.True(reader.IsAtEnd);
    }

    [Fact]
    public void Strict_array_decodes_mixed_values()
    {
        var reader = new Amf0Reader(Vectors.Hex("0A 00000003 05 01 01 02 0001 78"));

        var items = reader.ReadValue().AsStrictArray();

        Assert.Equal([Amf0Value.Null, Amf0Value.Boolean(true), Amf0Value.String("x")], items);
    }

    [Fact]
    public void Nested_objects_decode()
    {
        var reader = new Amf0Reader(Vectors.Hex("03 0001 6F 03 0001 69 00 3FF0000000000000 000009 000009"));

        var outer = reader.ReadValue().AsObject();

        Assert.Equal(1.0, outer["o"].AsObject().GetNumber("i"));
    }

    [Fact]
    public void Property_with_empty_name_is_not_mistaken_for_the_object_end()
    {
        var reader = new Amf0Reader(Vectors.Hex("03 0000 05 000009"));

        var properties = reader.ReadValue().AsObject();

        Assert.Equal(Amf0Value.Null, properties[""]);
        Assert.Single(properties);
    }

    [Theory]
    [InlineData("02 0005 6162", Amf0Error.Truncated)]
    [InlineData("0C FFFFFFFF 61", Amf0Error.Truncated)]
    [InlineData("00 3FF000", Amf0Error.Truncated)]
    [InlineData("03 0001 61", Amf0Error.Truncated)]
    [InlineData("03 0001 61 05", Amf0Error.Truncated)]
    [InlineData("0A FFFFFFFF 05", Amf0Error.LengthOutOfRange)]
    [InlineData("07 0001", Amf0Error.UnsupportedType)]
    [InlineData("0D", Amf0Error.UnsupportedType)]
    [InlineData("10 0001 61 000009", Amf0Error.UnsupportedType)]
    [InlineData("11 01", Amf0Error.UnsupportedType)]
    [InlineData("0F 00000000", Amf0Error.UnsupportedType)]
    [InlineData("04", Amf0Error.UnsupportedType)]
    [InlineData("09", Amf0Error.UnknownMarker)]
    [InlineData("12", Amf0Error.UnknownMarker)]
    [InlineData("", Amf0Error.Truncated)]
    public void Malformed_or_refused_input_throws_a_typed_error(string hex, Amf0Error error)
    {
        var bytes = Vectors.Hex(hex);

        var exception = Assert.Throws<Amf0FormatException>(() => new Amf0Reader(bytes).ReadValue());

        Assert.Equal(error, exception.Error);
    }

    [Fact]
    public void String_longer_than_the_payload_is_refused_without_reading_past_it()
    {
        // The string claims 10 bytes but the slice we hand the reader ends after 3; the bytes that follow
        // in the backing array must not be read.
        var backing = Vectors.Hex("02 000A 616263 64656667686A6B");

        var exception = Assert.Throws<Amf0FormatException>(() => new Amf0Reader(backing.AsSpan(0, 6)).ReadValue());

        Assert.Equal(Amf0Error.Truncated, exception.Error);
    }

    [Fact]
    public void Nesting_beyond_the_limit_is_refused()
    {
        var bytes = new List<byte>();
        for (var i = 0; i < Amf0Reader.DefaultMaxDepth + 1; i++)
        {
            bytes.AddRange([0x03, 0x00, 0x01, 0x61]);
        }

        bytes.Add(0x05);

        var exception = Assert.Throws<Amf0FormatException>(() => new Amf0Reader(bytes.ToArray()).ReadValue());

        Assert.Equal(Amf0Error.NestingTooDeep, exception.Error);
    }

    [Fact]
    public void Nesting_at_the_limit_is_accepted()
    {
        var bytes = new List<byte>();
        for (var i = 0; i < Amf0Reader.DefaultMaxDepth; i++)
        {
            bytes.AddRange([0x0A, 0x00, 0x00, 0x00, 0x01]);
        }

        bytes.Add(0x05);

        var value = new Amf0Reader(bytes.ToArray()).ReadValue();

        Assert.Equal(Amf0Type.StrictArray, value.Type);
    }

    [Fact]
    public void Value_count_beyond_the_limit_is_refused()
    {
        var bytes = Vectors.Hex("0A 00000004 05 05 05 05");

        var exception = Assert.Throws<Amf0FormatException>(() => new Amf0Reader(bytes, maxValues: 4).ReadValue());

        Assert.Equal(Amf0Error.LengthOutOfRange, exception.Error);
    }

    [Fact]
    public void Typed_read_of_another_type_throws_unexpected_type()
    {
        var exception = Assert.Throws<Amf0FormatException>(() => new Amf0Reader(Vectors.Hex("05")).ReadNumber());

        Assert.Equal(Amf0Error.UnexpectedType, exception.Error);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Mutated_payloads_decode_or_throw_amf0_format_exception(int fallbackSeed)
    {
        var corpus = new[]
        {
            Vectors.FfmpegConnectCommand,
            Vectors.FfmpegPublishCommand,
            Vectors.Hex("0A 00000003 05 01 01 02 0001 78 08 00000001 0001 61 0B 4276F5E66E800000 0000 000009 0C 00000001 61"),
        };

        Fuzz.Run<Amf0FormatException>(Fuzz.Seed(fallbackSeed), 20_000, corpus, input =>
        {
            var reader = new Amf0Reader(input);
            while (!reader.IsAtEnd)
            {
                reader.ReadValue();
            }
        }, allocationBudget: length => 4096 + (length * 128L));
    }
}
