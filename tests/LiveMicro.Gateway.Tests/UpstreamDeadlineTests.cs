using System.Diagnostics;
using System.Net;
using LiveMicro.Gateway.Tests.Connections;
using LiveMicro.Testing;

namespace LiveMicro.Gateway.Tests;

/// <summary>The route's timeout and the client's going away, as the deadline sweep keeps them: the destination's
/// connection is closed, the client answered once, nothing sent twice. Each case runs on the direct path and on
/// Kestrel's where both can take the request.</summary>
[Collection(GatewayCollection.Name)]
public sealed class UpstreamDeadlineTests(GatewayFixture fixture)
{
    private static readonly TimeSpan RouteTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>A gateway whose live cluster is only <paramref name="destination"/>; the rooms route times out after
    /// <see cref="RouteTimeout"/> unless <paramref name="timeout"/> says otherwise.</summary>
    private (ServiceApp<Program> App, Uri Url) StartGateway(ScriptedDestination destination, bool direct, string? timeout = "00:00:00.500") =>
        fixture.StartGateway(new Dictionary<string, string?>
        {
            ["Discovery:Etcd:Endpoint"] = "",
            ["DirectForwarding:Enabled"] = direct ? "true" : "false",
            ["ReverseProxy:Clusters:live:Destinations:live-1:Address"] = destination.Address,
            ["ReverseProxy:Clusters:live:HealthCheck:Active:Enabled"] = "false",
            ["ReverseProxy:Routes:rooms:Timeout"] = timeout,
        });

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_destination_that_stops_answering_on_a_kept_alive_connection_gives_504_once_and_its_connection_is_closed(bool direct)
    {
        await using var destination = new ScriptedDestination((request, _) => request == 1 ? ScriptedDestination.Ok("first") : null);
        var (app, url) = StartGateway(destination, direct);
        await using var _ = app;
        using var gateway = new HttpClient { BaseAddress = url };
        Assert.Equal("first", await gateway.GetStringAsync("/api/rooms/1"));

        var clock = Stopwatch.StartNew();
        var problem = await (await gateway.GetAsync("/api/rooms/2")).AssertProblemAsync(HttpStatusCode.GatewayTimeout);
        var elapsed = clock.Elapsed;

        Assert.EndsWith("/upstream-timeout", problem["type"]!.GetValue<string>());
        Assert.InRange(elapsed, RouteTimeout - TimeSpan.FromMilliseconds(20), RouteTimeout + TimeSpan.FromSeconds(1.5));
        await ApiClient.EventuallyAsync(() => Task.FromResult(destination.HeldRequestsClosed.Count == 1), "the held request's connection to close");
        // the closed connection was not taken for one the destination had dropped while idle: no second send
        await Task.Delay(300);
        Assert.Equal(2, destination.Requests);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_client_that_goes_away_while_its_request_waits_has_the_request_to_the_destination_closed(bool direct)
    {
        await using var destination = new ScriptedDestination((_, _) => null);
        var (app, url) = StartGateway(destination, direct, timeout: null);
        await using var _ = app;

        using (var client = await RawHttpClient.ConnectAsync(url))
        {
            await client.SendAsync("GET /api/rooms/1 HTTP/1.1\r\nHost: gw\r\n\r\n");
            await ApiClient.EventuallyAsync(() => Task.FromResult(destination.Requests == 1), "the request to reach the destination");
        }

        // the route allows 30 s; only the client's leaving ends the wait this soon
        var clock = Stopwatch.StartNew();
        await ApiClient.EventuallyAsync(() => Task.FromResult(!destination.HeldRequestsClosed.IsEmpty), "the destination's connection to close",
            TimeSpan.FromSeconds(5));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_request_body_that_stops_arriving_gives_504_after_the_route_timeout()
    {
        await using var destination = new ScriptedDestination((_, _) => null);
        var (app, url) = StartGateway(destination, direct: true);
        await using var _ = app;
        using var client = await RawHttpClient.ConnectAsync(url);

        var clock = Stopwatch.StartNew();
        await client.SendAsync("POST /api/rooms HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"title\":");
        var response = await client.ReadResponseAsync();

        Assert.Equal(504, response.Status);
        Assert.EndsWith("/upstream-timeout", response.Json["type"]!.GetValue<string>());
        Assert.InRange(clock.Elapsed, RouteTimeout - TimeSpan.FromMilliseconds(20), RouteTimeout + TimeSpan.FromSeconds(1.5));
        await ApiClient.EventuallyAsync(() => Task.FromResult(destination.HeldRequestsClosed.Count == 1), "the destination's connection to close");
    }

    [Fact]
    public async Task A_destination_that_takes_longer_to_connect_to_than_the_route_allows_gives_504_not_502()
    {
        // a listener that never accepts, with its backlog full: connecting hangs until the connect timeout (5 s)
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var fillers = new List<System.Net.Sockets.Socket>();
        var connecting = new List<Task>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                var filler = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                fillers.Add(filler);
                connecting.Add(filler.ConnectAsync(IPAddress.Loopback, port));
            }

            await Task.Delay(200);
            var (app, url) = fixture.StartGateway(new Dictionary<string, string?>
            {
                ["Discovery:Etcd:Endpoint"] = "",
                ["ReverseProxy:Clusters:live:Destinations:live-1:Address"] = $"http://127.0.0.1:{port}",
                ["ReverseProxy:Clusters:live:HealthCheck:Active:Enabled"] = "false",
                ["ReverseProxy:Routes:rooms:Timeout"] = "00:00:00.500",
            });
            await using var _ = app;
            using var gateway = new HttpClient { BaseAddress = url };

            var clock = Stopwatch.StartNew();
            var problem = await (await gateway.GetAsync("/api/rooms/1")).AssertProblemAsync(HttpStatusCode.GatewayTimeout);

            Assert.EndsWith("/upstream-timeout", problem["type"]!.GetValue<string>());
            Assert.InRange(clock.Elapsed, RouteTimeout - TimeSpan.FromMilliseconds(20), RouteTimeout + TimeSpan.FromSeconds(1.5));
        }
        finally
        {
            foreach (var filler in fillers) filler.Dispose();
            // the fillers that never connected fail now; only their ending matters
            await Task.WhenAll(connecting).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }
}
