using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using LiveMicro.Gateway.Connections;
using LiveMicro.Testing;

namespace LiveMicro.Gateway.Tests.Connections;

/// <summary>The gateway holds no more client connections than its budget (ClientConnections:MaxOpen, by default from
/// the open-file limit), on either transport: the next is closed as soon as it is accepted, so a flood cannot take the
/// process past its descriptor limit, where the runtime aborts it.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ConnectionBudgetTests(GatewayFixture fixture)
{
    [Fact]
    public void The_default_budget_is_half_of_what_the_open_file_limit_leaves_after_the_reserve()
    {
        Assert.Equal(9_700, ConnectionBudget.ForOpenFileLimit(20_000));
        Assert.Equal(300, ConnectionBudget.ForOpenFileLimit(1_200));
        Assert.Equal(ConnectionBudget.Minimum, ConnectionBudget.ForOpenFileLimit(400));
        Assert.Equal(int.MaxValue, ConnectionBudget.ForOpenFileLimit(null));
    }

    [Fact]
    public void A_budget_below_one_connection_stops_the_gateway_at_start_naming_the_setting()
    {
        var refused = Assert.ThrowsAny<Exception>(() => fixture.StartGateway(new Dictionary<string, string?> { ["ClientConnections:MaxOpen"] = "0" }));

        Assert.Contains("MaxOpen", refused.ToString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Past_the_budget_a_connection_is_closed_at_once_a_WebSocket_keeps_its_place_and_a_freed_place_is_taken(bool socketLoop)
    {
        var logs = new CapturedLogs();
        var (app, url) = await fixture.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["SocketLoop:Enabled"] = socketLoop.ToString(),
            ["ClientConnections:MaxOpen"] = "3",
        }, logs: logs);
        await using var _ = app;

        // the start-up probe's connection may hold its place for a moment after it closed
        ClientWebSocket? chat = null;
        await ApiClient.EventuallyAsync(async () => (chat = await TryWebSocketAsync(url)) is not null, "a WebSocket through the gateway");
        var answered = new List<RawHttpClient?>();
        try
        {
            for (var i = 0; i < 2; i++) answered.Add(await TryAnsweredAsync(url));
            Assert.All(answered, Assert.NotNull);

            for (var i = 0; i < 3; i++) Assert.True(await IsClosedAtOnceAsync(url), $"connection {i} over the budget was kept");

            // one warning for the spell of refusals, not one per connection
            Assert.Single(logs.Lines, l => l.Message.Contains("client connections are open"));
            // the WebSocket kept its place (Kestrel's own cap stops counting one once it upgrades) and still works
            await chat!.SendAsync(Encoding.UTF8.GetBytes("still here"), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            var buffer = new byte[256];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var received = await chat.ReceiveAsync(buffer, timeout.Token);
            Assert.EndsWith("still here", Encoding.UTF8.GetString(buffer, 0, received.Count));

            answered[0]!.Dispose();
            RawHttpClient? next = null;
            await ApiClient.EventuallyAsync(async () => (next = await TryAnsweredAsync(url)) is not null, "the freed place to take a new connection");
            next!.Dispose();
        }
        finally
        {
            foreach (var client in answered) client?.Dispose();
            chat!.Dispose();
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_flood_past_the_descriptor_limit_is_turned_away_and_the_gateway_answers_once_it_is_over(bool socketLoop)
    {
        // a real gateway process with 1000 descriptors, about 300 of them its assemblies: a budget of 200 connections
        var port = ServerProcess.FreePort();
        await using var gateway = ServerProcess.Start("prlimit", ["--nofile=1000:1000", "dotnet", GatewayDll(), "--urls", $"http://127.0.0.1:{port}"],
            workingDirectory: Path.GetDirectoryName(GatewayDll()), environment: new Dictionary<string, string>
            {
                ["Logging__LogLevel__Default"] = "Warning",
                ["ConnectionStrings__Redis"] = "127.0.0.1:1",
                ["Discovery__Etcd__Endpoint"] = "",
                ["SocketLoop__Enabled"] = socketLoop.ToString(),
                ["ReverseProxy__Routes__flood__ClusterId"] = "flood",
                ["ReverseProxy__Routes__flood__Match__Path"] = "/flood/{**rest}",
                ["ReverseProxy__Routes__flood__AuthorizationPolicy"] = "anonymous",
                ["ReverseProxy__Clusters__flood__Destinations__echo__Address"] = fixture.Backend("live-a").Url,
            });
        await gateway.WaitForPortAsync(port, TimeSpan.FromSeconds(30), "the gateway");
        var url = new Uri($"http://127.0.0.1:{port}");
        using var http = new HttpClient { BaseAddress = url };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/flood/before")).StatusCode);

        // every connection asks for a slow answer, so each one the gateway keeps holds a destination connection too
        var flood = new List<Socket>();
        try
        {
            for (var i = 0; i < 800; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                flood.Add(socket);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
                    await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /flood/{i}?delayMs=4000 HTTP/1.1\r\nHost: gw\r\n\r\n"));
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    // closed by the gateway before the request went out, or the backlog was full
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.False(gateway.HasExited, gateway.Output);
        }
        finally
        {
            foreach (var socket in flood) socket.Dispose();
        }

        var clock = Stopwatch.StartNew();
        await ApiClient.EventuallyAsync(async () => (await http.GetAsync("/flood/after")).StatusCode == HttpStatusCode.OK,
            "the gateway to answer after the flood", TimeSpan.FromSeconds(20));
        Assert.False(gateway.HasExited, gateway.Output);
        Assert.Contains("client connections are open", gateway.Output);
    }

    private static string GatewayDll()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "LiveMicro.Gateway.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("The gateway is built beside the tests", dll);
    }

    /// <summary>Whether the gateway closes a new connection, with a request on it, within 3 s without an answer.</summary>
    private static async Task<bool> IsClosedAtOnceAsync(Uri url)
    {
        RawHttpClient client;
        try
        {
            client = await RawHttpClient.ConnectAsync(url);
        }
        catch (SocketException)
        {
            return true; // reset before the client saw its connect complete
        }

        using (client)
        {
            try
            {
                await client.SendAsync("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\n\r\n");
            }
            catch (SocketException)
            {
                return true;
            }

            return await client.TimeUntilClosedAsync(TimeSpan.FromSeconds(5)) < TimeSpan.FromSeconds(3);
        }
    }

    /// <summary>A connection that got its answer, kept open; null when the gateway closed it instead.</summary>
    private static async Task<RawHttpClient?> TryAnsweredAsync(Uri url)
    {
        RawHttpClient client;
        try
        {
            client = await RawHttpClient.ConnectAsync(url);
        }
        catch (SocketException)
        {
            return null;
        }

        try
        {
            await client.SendAsync("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\n\r\n");
            if ((await client.ReadResponseAsync()).Status == 200) return client;
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // closed at once: no place for it
        }

        client.Dispose();
        return null;
    }

    private static async Task<ClientWebSocket?> TryWebSocketAsync(Uri url)
    {
        var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(new Uri($"ws://{url.Authority}/ws/chat/budget"), CancellationToken.None);
            return socket;
        }
        catch (WebSocketException)
        {
            socket.Dispose();
            return null;
        }
    }
}
