using System.Text;
using LiveMicro.Gateway.Connections;

namespace LiveMicro.Gateway.Tests.Connections;

public sealed class DirectRequestHeadTests
{
    private const string Typical =
        "GET /api/users/42/followers?after=9&limit=2 HTTP/1.1\r\nHost: gateway:8080\r\nAccept: */*\r\n" +
        "X-Request-Id: client-id\r\nUser-Agent: wrk  \r\n\r\n";

    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    private static string Text(byte[] input, Range range) => Encoding.Latin1.GetString(input[range]);

    private static DirectRequestHeadResult Parse(string head, out DirectRequestHead parsed, out int length)
    {
        parsed = new DirectRequestHead();
        return parsed.TryParse(Bytes(head), out length);
    }

    [Fact]
    public void A_plain_GET_gives_its_path_query_fields_host_and_request_id()
    {
        var input = Bytes(Typical + "GET /next");
        var head = new DirectRequestHead();

        Assert.Equal(DirectRequestHeadResult.Parsed, head.TryParse(input, out var length));

        Assert.Equal(Typical.Length, length);
        Assert.Equal("/api/users/42/followers", Text(input, head.Path));
        Assert.Equal("?after=9&limit=2", Text(input, head.Query));
        var fields = head.Fields.ToArray().Select(f => (Encoding.Latin1.GetString(input, f.NameStart, f.NameLength),
            Encoding.Latin1.GetString(input, f.ValueStart, f.ValueLength))).ToList();
        Assert.Equal([("Host", "gateway:8080"), ("Accept", "*/*"), ("X-Request-Id", "client-id"), ("User-Agent", "wrk")], fields);
        Assert.Equal(0, head.HostField);
        Assert.Equal(2, head.RequestIdField);
        Assert.False(head.CarriesCredentials);
    }

    [Fact]
    public void A_head_split_anywhere_is_incomplete_until_its_empty_line()
    {
        for (var split = 0; split < Typical.Length; split++)
        {
            Assert.Equal(DirectRequestHeadResult.Incomplete, Parse(Typical[..split], out _, out _));
        }

        Assert.Equal(DirectRequestHeadResult.Parsed, Parse(Typical, out _, out var length));
        Assert.Equal(Typical.Length, length);
    }

    [Theory]
    [InlineData("\u0016\u0003\u0001\u0002\u0000\u0001")] // a TLS ClientHello's record header
    [InlineData("PO")]
    [InlineData("GET *")]
    [InlineData("PRI * HTTP/2.0")] // the HTTP/2 preface
    public void What_cannot_become_a_GET_is_not_direct_before_its_head_is_whole(string start)
    {
        Assert.Equal(DirectRequestHeadResult.NotDirect, Parse(start, out _, out _));
    }

    [Fact]
    public void A_path_without_query_has_an_empty_query()
    {
        var input = Bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var head = new DirectRequestHead();

        Assert.Equal(DirectRequestHeadResult.Parsed, head.TryParse(input, out _));
        Assert.Equal("/", Text(input, head.Path));
        Assert.Equal("", Text(input, head.Query));
        Assert.Equal(-1, head.RequestIdField);
    }

    [Theory]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer x\r\n\r\n")]
    [InlineData("GET /ws?room=1&access_token=abc HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /ws?access_token=abc HTTP/1.1\r\nHost: a\r\n\r\n")]
    public void Credentials_in_a_header_or_the_query_are_noticed(string request)
    {
        Assert.Equal(DirectRequestHeadResult.Parsed, Parse(request, out var head, out _));
        Assert.True(head.CarriesCredentials);
    }

    [Fact]
    public void A_query_parameter_that_only_ends_in_access_token_is_not_a_credential()
    {
        Assert.Equal(DirectRequestHeadResult.Parsed, Parse("GET /a?my_access_token=1 HTTP/1.1\r\nHost: a\r\n\r\n", out var head, out _));
        Assert.False(head.CarriesCredentials);
    }

    [Theory]
    [InlineData("X-Request-Id: a\r\nX-Request-Id: b\r\n")]
    [InlineData("X-Request-Id: \r\n")]
    public void A_repeated_or_empty_request_id_is_not_the_clients(string fields)
    {
        Assert.Equal(DirectRequestHeadResult.Parsed, Parse($"GET /a HTTP/1.1\r\nHost: a\r\n{fields}\r\n", out var head, out _));
        Assert.Equal(-1, head.RequestIdField);
    }

    [Fact]
    public void A_request_id_longer_than_128_characters_is_not_the_clients()
    {
        Assert.Equal(DirectRequestHeadResult.Parsed, Parse($"GET /a HTTP/1.1\r\nHost: a\r\nX-Request-Id: {new string('r', 129)}\r\n\r\n", out var head, out _));
        Assert.Equal(-1, head.RequestIdField);
    }

    [Theory]
    [InlineData("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HEAD /a HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("get /a HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /a HTTP/1.0\r\nHost: a\r\n\r\n")]
    [InlineData("GET http://a/a HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET * HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    [InlineData("GET /a%2Fb HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /caf\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /a/../b HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /a/./b HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /a/.. HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /a?b#c HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /a?b c HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /a  HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost:\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\nX-Space : b\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\nX-Bare: b\nX-Next: c\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\nX-Latin: caf\u00e9\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\nX-Nul: a\0b\r\n\r\n")]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\nX-Cr: a\rb\r\n\r\n")]
    [InlineData("\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003\r\n\r\n")]
    public void Anything_but_the_plainest_GET_is_left_for_Kestrel(string request)
    {
        Assert.Equal(DirectRequestHeadResult.NotDirect, Parse(request, out _, out _));
    }

    [Fact]
    public void A_connection_header_of_keep_alive_is_taken()
    {
        Assert.Equal(DirectRequestHeadResult.Parsed, Parse("GET /a HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive\r\n\r\n", out _, out _));
    }

    [Fact]
    public void A_head_longer_than_the_limit_is_left_for_Kestrel_complete_or_not()
    {
        var longField = $"X-Long: {new string('x', DirectRequestHead.MaxLength)}\r\n";
        Assert.Equal(DirectRequestHeadResult.NotDirect, Parse($"GET /a HTTP/1.1\r\nHost: a\r\n{longField}", out _, out _));
        Assert.Equal(DirectRequestHeadResult.NotDirect, Parse($"GET /a HTTP/1.1\r\nHost: a\r\n{longField}\r\n", out _, out _));
    }

    [Fact]
    public void More_fields_than_the_limit_are_left_for_Kestrel()
    {
        var fields = string.Concat(Enumerable.Range(0, DirectRequestHead.MaxFields).Select(i => $"X-{i}: {i}\r\n"));
        Assert.Equal(DirectRequestHeadResult.NotDirect, Parse($"GET /a HTTP/1.1\r\nHost: a\r\n{fields}\r\n", out _, out _));
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(7);
        var head = new DirectRequestHead();
        var prefix = Bytes("GET /a HTTP/1.1\r\nHost: a\r\n");
        for (var i = 0; i < 20_000; i++)
        {
            var input = new byte[random.Next(1, 200)];
            random.NextBytes(input);
            if (i % 2 == 0) input = [.. prefix, .. input, .. "\r\n\r\n"u8];
            else if (i % 3 == 0) input = [.. input, .. "\r\n\r\n"u8];
            var result = head.TryParse(input, out var length);
            if (result == DirectRequestHeadResult.Parsed) Assert.InRange(length, 1, input.Length);
        }
    }
}
