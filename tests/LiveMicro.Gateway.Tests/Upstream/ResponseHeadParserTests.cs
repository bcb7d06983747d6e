using System.Text;
using LiveMicro.Gateway.Upstream;

namespace LiveMicro.Gateway.Tests.Upstream;

public sealed class ResponseHeadParserTests
{
    private const string Typical =
        "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain; charset=utf-8\r\nDate: Sun, 22 Nov 2026 09:24:29 GMT\r\n" +
        "Server: Kestrel\r\n\r\n";

    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    private static (ResponseHeadParser Parser, int Length) Parse(string head)
    {
        var parser = new ResponseHeadParser();
        Assert.True(parser.TryParse(Bytes(head), out var length));
        return (parser, length);
    }

    private static List<(string Name, string Value)> FieldsOf(ResponseHeadParser parser, byte[] input) =>
        parser.Fields.ToArray().Select(f => (Encoding.Latin1.GetString(input, f.NameStart, f.NameLength),
            Encoding.Latin1.GetString(input, f.ValueStart, f.ValueLength))).ToList();

    [Fact]
    public void A_typical_head_gives_its_status_fields_and_length()
    {
        var input = Bytes(Typical + "Hello, world!");
        var parser = new ResponseHeadParser();

        Assert.True(parser.TryParse(input, out var length));

        Assert.Equal(Typical.Length, length);
        Assert.Equal(200, parser.StatusCode);
        Assert.Equal(13, parser.ContentLength);
        Assert.False(parser.ClosesConnection);
        Assert.Equal(BodyFraming.ContentLength, parser.FramingFor(isHeadRequest: false));
        Assert.Equal(
            [("Content-Length", "13"), ("Content-Type", "text/plain; charset=utf-8"), ("Date", "Sun, 22 Nov 2026 09:24:29 GMT"), ("Server", "Kestrel")],
            FieldsOf(parser, input));
    }

    [Fact]
    public void Every_prefix_of_a_head_needs_more_and_the_whole_head_parses()
    {
        var input = Bytes(Typical);
        var parser = new ResponseHeadParser();
        for (var split = 0; split < input.Length; split++)
        {
            Assert.False(parser.TryParse(input.AsSpan(0, split), out _), $"prefix of {split} bytes");
        }

        Assert.True(parser.TryParse(input, out var length));
        Assert.Equal(input.Length, length);
    }

    [Theory]
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n", 204)]
    [InlineData("HTTP/1.1 200\r\n\r\n", 200)]
    [InlineData("HTTP/1.1 200 \r\n\r\n", 200)]
    [InlineData("HTTP/1.1 599 Whatever it likes\r\n\r\n", 599)]
    public void Status_lines_with_and_without_a_reason_parse(string head, int status)
    {
        Assert.Equal(status, Parse(head).Parser.StatusCode);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, BodyFraming.Chunked)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 5\r\n\r\n", false, BodyFraming.Chunked)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, BodyFraming.UntilClose)]
    [InlineData("HTTP/1.1 200 OK\r\n\r\n", false, BodyFraming.UntilClose)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, BodyFraming.None)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", false, BodyFraming.ContentLength)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true, BodyFraming.None)]
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n", false, BodyFraming.None)]
    [InlineData("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", false, BodyFraming.None)]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\n", false, BodyFraming.None)]
    public void The_framing_follows_RFC_9112_section_6_3(string head, bool isHeadRequest, BodyFraming framing)
    {
        Assert.Equal(framing, Parse(head).Parser.FramingFor(isHeadRequest));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", true)]
    [InlineData("HTTP/1.1 200 OK\r\nconnection: Keep-Alive, CLOSE\r\n\r\n", true)]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n", false)]
    [InlineData("HTTP/1.0 200 OK\r\n\r\n", true)]
    [InlineData("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", false)]
    public void Connection_close_and_HTTP_1_0_end_the_connection(string head, bool closes)
    {
        Assert.Equal(closes, Parse(head).Parser.ClosesConnection);
    }

    [Fact]
    public void Whitespace_around_a_value_is_not_part_of_it()
    {
        var input = Bytes("HTTP/1.1 200 OK\r\nX-A:\t  padded value \t\r\nX-Empty:\r\n\r\n");
        var parser = new ResponseHeadParser();
        Assert.True(parser.TryParse(input, out _));

        Assert.Equal([("X-A", "padded value"), ("X-Empty", "")], FieldsOf(parser, input));
    }

    [Theory]
    [InlineData("HTTP/2 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 abc OK\r\n\r\n")]
    [InlineData("HTTP/1.1 099 Low\r\n\r\n")]
    [InlineData("HTTP/1.1200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nNo-Colon\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\n: no name\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nSpace Before : colon\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: a\r\n folded\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: bare\nLF\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: bare\rCR\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: close\r\nConnection: close\r\n\r\n")]
    public void A_malformed_head_is_refused(string head)
    {
        var parser = new ResponseHeadParser();
        Assert.Throws<UpstreamProtocolException>(() => parser.TryParse(Bytes(head), out _));
    }

    [Fact]
    public void A_head_that_never_ends_is_refused_at_the_limit()
    {
        var endless = Bytes("HTTP/1.1 200 OK\r\nX-Filler: " + new string('a', ResponseHeadParser.MaxHeadLength));
        var parser = new ResponseHeadParser();

        Assert.False(parser.TryParse(endless.AsSpan(0, ResponseHeadParser.MaxHeadLength - 1), out _));
        Assert.Throws<UpstreamProtocolException>(() => parser.TryParse(endless, out _));
    }

    [Fact]
    public void Random_bytes_give_a_result_or_a_protocol_error_and_nothing_else()
    {
        const int seed = 20261122;
        var random = new Random(seed);
        var alphabet = Bytes("HTP/1.0 2:\r\n abcCL-chunked,");
        var parser = new ResponseHeadParser();
        for (var i = 0; i < 20_000; i++)
        {
            var input = new byte[random.Next(0, 80)];
            for (var j = 0; j < input.Length; j++) input[j] = random.Next(4) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            if (random.Next(2) == 0) input = [.. Bytes("HTTP/1.1 200 OK\r\n"), .. input, .. Bytes("\r\n\r\n")];
            try
            {
                parser.TryParse(input, out _);
            }
            catch (UpstreamProtocolException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed}, input {i} ({Convert.ToHexString(input)}): {e}");
            }
        }
    }
}
