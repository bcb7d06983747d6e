using System.Text;
using LiveMicro.Gateway.Upstream;

namespace LiveMicro.Gateway.Tests.Upstream;

public sealed class ChunkedBodyDecoderTests
{
    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    /// <summary>Feeds the input in pieces cut at <paramref name="cuts"/>, as a connection would receive it, and
    /// returns the body and how many bytes belonged to it.</summary>
    private static (string Body, int Consumed, bool Complete) Decode(byte[] input, params int[] cuts)
    {
        var decoder = new ChunkedBodyDecoder();
        var body = new StringBuilder();
        var consumed = 0;
        var bounds = cuts.Append(input.Length).ToArray();
        var pending = 0;
        foreach (var bound in bounds)
        {
            // bytes not consumed stay in front of the next piece, as in the connection's buffer
            var available = bound - consumed;
            pending = available;
            while (pending > 0 && !decoder.IsComplete)
            {
                var used = decoder.Decode(input.AsSpan(consumed, pending), out var offset, out var length);
                body.Append(Encoding.Latin1.GetString(input, consumed + offset, length));
                consumed += used;
                pending -= used;
                if (used == 0) break;
            }
        }

        return (body.ToString(), consumed, decoder.IsComplete);
    }

    public static readonly TheoryData<string, string, string> Vectors = new()
    {
        { "one chunk", "5\r\nhello\r\n0\r\n\r\n", "hello" },
        { "two chunks", "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n", "hello, world" },
        { "hex sizes in either case", "a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij" },
        { "leading zeros", "0005\r\nhello\r\n000\r\n\r\n", "hello" },
        { "extensions", "5;name=value;flag\r\nhello\r\n0;last\r\n\r\n", "hello" },
        { "whitespace before an extension", "5 ;x=y\r\nhello\r\n0\r\n\r\n", "hello" },
        { "trailers", "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Other: d\r\n\r\n", "hello" },
        { "empty body", "0\r\n\r\n", "" },
        { "binary data with CRLF inside", "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void A_body_decodes_whole_and_split_at_every_offset(string name, string encoded, string body)
    {
        var input = Bytes(encoded + "HTTP/1.1 200 OK\r\n");
        var end = encoded.Length;

        Assert.Equal((body, end, true), Decode(input));
        for (var cut = 0; cut <= input.Length; cut++) Assert.Equal((body, end, true), Decode(input, cut));
        for (var cut = 1; cut < encoded.Length; cut++) Assert.Equal((body, end, true), Decode(input, cut - 1, cut));
        _ = name;
    }

    [Fact]
    public void A_body_fed_one_byte_at_a_time_decodes()
    {
        var input = Bytes("5;a=b\r\nhello\r\n1\r\n!\r\n0\r\nT: v\r\n\r\n");

        Assert.Equal(("hello!", input.Length, true), Decode(input, Enumerable.Range(1, input.Length - 1).ToArray()));
    }

    [Fact]
    public void An_unfinished_body_is_not_complete()
    {
        Assert.Equal(("hel", 6, false), Decode(Bytes("5\r\nhel")));
        Assert.False(Decode(Bytes("5\r\nhello\r\n0\r\n")).Complete);
    }

    [Theory]
    [InlineData("\r\nhello\r\n")]
    [InlineData("g\r\nhello\r\n")]
    [InlineData("5\nhello\r\n")]
    [InlineData("5\r\nhelloX\r\n")]
    [InlineData("5\r\nhello\rX")]
    [InlineData("-5\r\nhello\r\n")]
    [InlineData("1000000000000000\r\n")]
    [InlineData("5;ext\nhello\r\n")]
    [InlineData("0\r\nBad\ntrailer\r\n\r\n")]
    [InlineData("0\r\n\rX")]
    public void Malformed_framing_is_refused(string encoded)
    {
        var decoder = new ChunkedBodyDecoder();
        var input = Bytes(encoded);

        Assert.Throws<UpstreamProtocolException>(() =>
        {
            var position = 0;
            while (position < input.Length && !decoder.IsComplete) position += decoder.Decode(input.AsSpan(position), out _, out _);
        });
    }

    [Fact]
    public void An_endless_extension_is_refused_at_the_limit()
    {
        var decoder = new ChunkedBodyDecoder();
        var input = Bytes("5;" + new string('x', ChunkedBodyDecoder.MaxLineLength));

        Assert.Throws<UpstreamProtocolException>(() => decoder.Decode(input, out _, out _));
    }

    [Fact]
    public void Random_bytes_give_data_or_a_protocol_error_and_nothing_else()
    {
        const int seed = 7919;
        var random = new Random(seed);
        var alphabet = Bytes("0123456789abcdefABCDEF;= \r\n\t");
        for (var i = 0; i < 20_000; i++)
        {
            var input = new byte[random.Next(1, 60)];
            for (var j = 0; j < input.Length; j++) input[j] = random.Next(8) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            var decoder = new ChunkedBodyDecoder();
            try
            {
                var position = 0;
                while (position < input.Length && !decoder.IsComplete)
                {
                    var used = decoder.Decode(input.AsSpan(position), out var offset, out var length);
                    Assert.InRange(offset + length, 0, used);
                    Assert.True(used > 0, "no progress");
                    position += used;
                }
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
