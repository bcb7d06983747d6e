using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using LiveMicro.Testing;
using Microsoft.Extensions.Logging;

namespace LiveMicro.Gateway.Tests.Connections;

/// <summary>The direct path (plain GETs to anonymous routes forwarded from the connection) and its hand-over to
/// Kestrel, over raw sockets so that what shares a connection is under the test's control.</summary>
[Collection(GatewayCollection.Name)]
public sealed class DirectForwardingTests(GatewayFixture fixture)
{
    [Fact]
    public async Task One_connection_carries_direct_GETs_then_a_POST_and_everything_after_it_through_Kestrel()
    {
        using var client = await RawHttpClient.ConnectAsync(fixture.GatewayUrl);

        await client.SendAsync("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\n\r\n");
        var first = await client.ReadResponseAsync();
        Assert.Equal(200, first.Status);
        Assert.Equal("/api/users/1", first.Json["path"]!.GetValue<string>());

        // three requests in one write: the second is the first Kestrel reads, with its body
        await client.SendAsync("GET /api/users/2?x=1 HTTP/1.1\r\nHost: gw\r\n\r\n" +
                               "POST /api/users/3 HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello" +
                               "GET /api/users/4 HTTP/1.1\r\nHost: gw\r\n\r\n");
        var second = await client.ReadResponseAsync();
        var third = await client.ReadResponseAsync();
        var fourth = await client.ReadResponseAsync();

        Assert.Equal(("GET", "/api/users/2", "?x=1"), (second.Json["method"]!.GetValue<string>(), second.Json["path"]!.GetValue<string>(), second.Json["query"]!.GetValue<string>()));
        Assert.Equal(("POST", "/api/users/3", 5L), (third.Json["method"]!.GetValue<string>(), third.Json["path"]!.GetValue<string>(), third.Json["bodyLength"]!.GetValue<long>()));
        Assert.Equal("/api/users/4", fourth.Json["path"]!.GetValue<string>());
        // each request has an id of its own, on the connection's id as Kestrel makes them
        var ids = new[] { first, second, third, fourth }.Select(r => r.Headers["X-Request-Id"]).ToList();
        Assert.Equal(4, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Equal(ids[0].Split(':')[0], id.Split(':')[0]));
        Assert.StartsWith("D", ids[0].Split(':')[1]);
    }

    [Fact]
    public async Task A_client_that_resets_its_connection_between_requests_or_inside_a_head_is_let_go_without_an_error()
    {
        var logs = new CapturedLogs();
        var (app, url) = await fixture.StartGatewayAsync([], logs: logs);
        await using var _ = app;

        using (var answered = await RawHttpClient.ConnectAsync(url))
        {
            await answered.SendAsync("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\n\r\n");
            Assert.Equal(200, (await answered.ReadResponseAsync()).Status);
            answered.Reset();
        }

        using (var halfway = await RawHttpClient.ConnectAsync(url))
        {
            await halfway.SendAsync("GET /api/users/1 HTTP/1.1\r\nHo");
            halfway.Reset();
        }

        // the reset reaches the gateway's read at once; nothing else marks that it was handled
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(logs.Lines, l => l.Level >= LogLevel.Error);
        using var next = await RawHttpClient.ConnectAsync(url);
        await next.SendAsync("GET /api/users/2 HTTP/1.1\r\nHost: gw\r\n\r\n");
        Assert.Equal(200, (await next.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task A_malformed_request_after_a_direct_one_gets_Kestrels_400()
    {
        using var client = await RawHttpClient.ConnectAsync(fixture.GatewayUrl);
        await client.SendAsync("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        await client.SendAsync("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\nNot a field\r\n\r\n");

        var refused = await client.ReadResponseAsync();
        Assert.Equal(400, refused.Status);
    }

    [Fact]
    public async Task A_GET_answers_the_same_on_the_direct_path_as_through_Kestrel()
    {
        var (kestrelOnly, kestrelUrl) = await fixture.StartGatewayAsync(new Dictionary<string, string?> { ["DirectForwarding:Enabled"] = "false" });
        await using var _ = kestrelOnly;

        var answers = new List<RawResponse>();
        foreach (var url in new[] { fixture.GatewayUrl, kestrelUrl })
        {
            using var client = await RawHttpClient.ConnectAsync(url);
            await client.SendAsync("GET /api/users/7/followers?after=3 HTTP/1.1\r\nHost: gw.example:8080\r\nX-Custom: kept\r\n" +
                                   "X-Request-Id: same-id\r\nX-Forwarded-For: 6.6.6.6\r\nKeep-Alive: timeout=5\r\nConnection: keep-alive\r\n\r\n");
            answers.Add(await client.ReadResponseAsync());
        }

        var (direct, kestrel) = (answers[0], answers[1]);
        Assert.Equal(kestrel.Status, direct.Status);
        Assert.Equal(kestrel.Headers.Keys.Order(), direct.Headers.Keys.Order());
        foreach (var name in kestrel.Headers.Keys.Where(n => n is not "Date" and not "X-Instance"))
        {
            Assert.Equal(kestrel.Headers[name], direct.Headers[name]);
        }

        foreach (var field in new[] { "method", "path", "query" })
        {
            Assert.Equal(kestrel.Json[field]!.GetValue<string>(), direct.Json[field]!.GetValue<string>());
        }

        Assert.Equal(kestrel.Json["headers"]!.ToJsonString(), direct.Json["headers"]!.ToJsonString());
        Assert.Equal("127.0.0.1", direct.Json["headers"]!["X-Forwarded-For"]!.GetValue<string>());
        Assert.Equal("gw.example:8080", direct.Json["headers"]!["X-Forwarded-Host"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_GET_over_a_routes_rate_limit_goes_to_Kestrel_for_its_429_and_the_connection_carries_on()
    {
        var (gateway, url) = await fixture.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["RateLimits:Policies:tight:PermitLimit"] = "2",
            ["RateLimits:Policies:tight:Window"] = "00:01:00",
            ["ReverseProxy:Routes:users:RateLimiterPolicy"] = "tight",
            ["ReverseProxy:Routes:probe:ClusterId"] = "user",
            ["ReverseProxy:Routes:probe:Match:Path"] = "/probe/{**rest}",
            ["ReverseProxy:Routes:probe:AuthorizationPolicy"] = "anonymous",
            ["ReverseProxy:Routes:probe:RateLimiterPolicy"] = "disable",
        }, probe: "/probe/1");
        await using var _ = gateway;

        using var client = await RawHttpClient.ConnectAsync(url);
        var statuses = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\n\r\n");
            var response = await client.ReadResponseAsync();
            statuses.Add(response.Status);
            if (response.Status == 429)
            {
                Assert.Equal("application/problem+json", response.Headers["Content-Type"]);
                Assert.True(int.Parse(response.Headers["Retry-After"]) >= 1);
            }
        }

        Assert.Equal([200, 200, 429], statuses);
        await client.SendAsync("GET /health/live HTTP/1.1\r\nHost: gw\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task An_idle_direct_connection_is_closed_and_a_stalled_head_answered_408_after_Kestrels_timeouts()
    {
        var (gateway, url) = await fixture.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["Kestrel:Limits:KeepAliveTimeout"] = "00:00:02",
            ["Kestrel:Limits:RequestHeadersTimeout"] = "00:00:02",
        });
        await using var _ = gateway;

        using var idle = await RawHttpClient.ConnectAsync(url);
        await idle.SendAsync("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\n\r\n");
        Assert.Equal(200, (await idle.ReadResponseAsync()).Status);
        using var stalled = await RawHttpClient.ConnectAsync(url);
        await stalled.SendAsync("GET /api/users/1 HTTP/1.1\r\nHost: g");

        var idleFor = await idle.TimeUntilClosedAsync(TimeSpan.FromSeconds(10));
        var refused = await stalled.ReadResponseAsync();
        var stalledFor = await stalled.TimeUntilClosedAsync(TimeSpan.FromSeconds(10));

        Assert.InRange(idleFor, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(5));
        Assert.Equal(408, refused.Status);
        Assert.InRange(stalledFor, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_streamed_response_of_unknown_length_arrives_whole_in_chunks()
    {
        using var client = await RawHttpClient.ConnectAsync(fixture.GatewayUrl);
        await client.SendAsync("GET /api/users/1?bytes=300000 HTTP/1.1\r\nHost: gw\r\n\r\n");

        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("chunked", response.Headers["Transfer-Encoding"]);
        Assert.Equal(300_000, response.Body.Length);
        // and the connection is still good for the next request
        await client.SendAsync("GET /api/users/2 HTTP/1.1\r\nHost: gw\r\n\r\n");
        Assert.Equal("/api/users/2", (await client.ReadResponseAsync()).Json["path"]!.GetValue<string>());
    }
}

public sealed record RawResponse(int Status, Dictionary<string, string> Headers, byte[] Body)
{
    public JsonNode Json => JsonNode.Parse(Body)!;
}

/// <summary>HTTP/1.1 over a bare socket: requests written as given, responses read by their own framing.</summary>
public sealed class RawHttpClient : IDisposable
{
    private readonly Socket _socket;
    private readonly List<byte> _buffered = [];

    private RawHttpClient(Socket socket) => _socket = socket;

    public static async Task<RawHttpClient> ConnectAsync(Uri url)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, url.Port);
        return new RawHttpClient(socket);
    }

    public async Task SendAsync(string text) => await _socket.SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task<RawResponse> ReadResponseAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var head = Encoding.Latin1.GetString(await ReadUntilAsync("\r\n\r\n"u8.ToArray(), timeout.Token));
        var lines = head.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var status = int.Parse(lines[0].Split(' ')[1]);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var body = new List<byte>();
        if (headers.TryGetValue("Content-Length", out var length))
        {
            body.AddRange(await ReadExactlyAsync(int.Parse(length), timeout.Token));
        }
        else if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding == "chunked")
        {
            while (true)
            {
                var size = Convert.ToInt32(Encoding.Latin1.GetString(await ReadUntilAsync("\r\n"u8.ToArray(), timeout.Token)).Trim(), 16);
                var chunk = await ReadExactlyAsync(size + 2, timeout.Token);
                if (size == 0) break;
                body.AddRange(chunk[..size]);
            }
        }

        return new RawResponse(status, headers, [.. body]);
    }

    /// <summary>How long until the server closes the connection (reads return nothing), at most
    /// <paramref name="limit"/>.</summary>
    public async Task<TimeSpan> TimeUntilClosedAsync(TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(limit);
        var buffer = new byte[1024];
        try
        {
            while (await _socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            // reset, or still open at the limit (which the caller's range then refuses)
        }

        return clock.Elapsed;
    }

    /// <summary>Closes with a TCP reset instead of a FIN, as a client killed mid-connection or a load generator
    /// stopping does.</summary>
    public void Reset()
    {
        _socket.LingerState = new LingerOption(true, 0);
        _socket.Close();
    }

    public void Dispose() => _socket.Dispose();

    private async Task<byte[]> ReadUntilAsync(byte[] delimiter, CancellationToken cancellationToken)
    {
        while (true)
        {
            var at = IndexOf(delimiter);
            if (at >= 0)
            {
                var taken = _buffered.GetRange(0, at + delimiter.Length).ToArray();
                _buffered.RemoveRange(0, at + delimiter.Length);
                return taken;
            }

            await ReceiveAsync(cancellationToken);
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        while (_buffered.Count < count) await ReceiveAsync(cancellationToken);
        var taken = _buffered.GetRange(0, count).ToArray();
        _buffered.RemoveRange(0, count);
        return taken;
    }

    private async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
        if (read == 0) throw new IOException("The server closed the connection.");
        _buffered.AddRange(buffer.AsSpan(0, read));
    }

    private int IndexOf(byte[] delimiter) => _buffered.ToArray().AsSpan().IndexOf(delimiter);
}
