using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using LiveMicro.Discovery;
using LiveMicro.Gateway.Tests.Connections;
using LiveMicro.Testing;
using Microsoft.Extensions.Logging;

namespace LiveMicro.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class ResilienceTests(GatewayFixture fixture)
{
    /// <summary>A gateway whose live cluster is only <paramref name="address"/>, without discovery or health checks.</summary>
    private (ServiceApp<Program> App, Uri Url) StartGatewayWithLiveAt(string address) => fixture.StartGateway(new Dictionary<string, string?>
    {
        ["Discovery:Etcd:Endpoint"] = "",
        ["ReverseProxy:Clusters:live:Destinations:live-1:Address"] = address,
        ["ReverseProxy:Clusters:live:HealthCheck:Active:Enabled"] = "false",
    });

    private async Task<long> HitsAsync(string instance)
    {
        using var http = new HttpClient();
        return (await http.GetFromJsonAsync<Dictionary<string, long>>(fixture.Backend(instance).Url + "/_hits"))!["hits"];
    }

    [Fact]
    public async Task The_breaker_opens_on_server_errors_answers_503_at_once_and_closes_after_a_good_probe()
    {
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.InternalServerError, (await fixture.Gateway.GetAsync("/api/streams?status=500")).StatusCode);
        }

        var hitsWhileOpen = await HitsAsync("rtmp-a");
        var refused = await fixture.Gateway.GetAsync("/api/streams");
        var problem = await refused.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.EndsWith("/circuit-open", problem["type"]!.GetValue<string>());
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal(hitsWhileOpen, await HitsAsync("rtmp-a"));

        // after the break one probe goes through; it succeeds, so the circuit closes
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        Assert.Equal("rtmp", await fixture.ServiceBehindAsync("/api/streams"));
        for (var i = 0; i < 5; i++) Assert.Equal("rtmp", await fixture.ServiceBehindAsync("/api/streams"));
    }

    [Fact]
    public async Task An_open_circuit_beside_a_healthy_destination_is_probed_after_its_break_and_takes_requests_again()
    {
        var failing = true;
        await using var flaky = new ScriptedDestination((_, _) => Volatile.Read(ref failing) ? ScriptedDestination.Status(500) : ScriptedDestination.Ok("flaky"));
        var (app, url) = fixture.StartGateway(new Dictionary<string, string?>
        {
            ["Discovery:Etcd:Endpoint"] = "",
            ["ReverseProxy:Clusters:live:Destinations:live-1:Address"] = fixture.Backend("live-a").Url,
            ["ReverseProxy:Clusters:live:Destinations:live-2:Address"] = flaky.Address,
            ["ReverseProxy:Clusters:live:HealthCheck:Active:Enabled"] = "false",
        });
        await using var _ = app;
        using var gateway = new HttpClient { BaseAddress = url };

        for (var i = 0; i < 40; i++) await gateway.GetAsync("/api/rooms/1");
        var failed = flaky.Requests;
        Assert.InRange(failed, 4, 30);

        // open: every request goes to the healthy destination
        for (var i = 0; i < 20; i++) Assert.Equal(HttpStatusCode.OK, (await gateway.GetAsync("/api/rooms/1")).StatusCode);
        Assert.Equal(failed, flaky.Requests);

        // after the break a request probes it; the probe succeeds and the two share the load again
        Volatile.Write(ref failing, false);
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        for (var i = 0; i < 40; i++) Assert.Equal(HttpStatusCode.OK, (await gateway.GetAsync("/api/rooms/1")).StatusCode);
        Assert.True(flaky.Requests - failed >= 5, $"{flaky.Requests - failed} of 40 requests reached the recovered destination");
    }

    [Theory]
    [InlineData("GET")] // the direct path
    [InlineData("POST")] // through Kestrel
    public async Task Clients_that_go_away_while_their_requests_wait_do_not_count_against_the_destination(string method)
    {
        var (app, url) = StartGatewayWithLiveAt(fixture.Backend("live-a").Url);
        await using var _ = app;
        const int clients = 12;
        var hits = await HitsAsync("live-a");
        var waiting = new List<RawHttpClient>();
        for (var i = 0; i < clients; i++)
        {
            var client = await RawHttpClient.ConnectAsync(url);
            waiting.Add(client);
            await client.SendAsync($"{method} /api/rooms/{i}?delayMs=3000 HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\n\r\n");
        }

        await ApiClient.EventuallyAsync(async () => await HitsAsync("live-a") >= hits + clients, "the requests to reach the destination");
        // half close, half reset: either way the client is gone before its answer
        for (var i = 0; i < clients; i++)
        {
            if (i % 2 == 0) waiting[i].Dispose();
            else waiting[i].Reset();
        }

        await Task.Delay(TimeSpan.FromMilliseconds(500));
        using var gateway = new HttpClient { BaseAddress = url };
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.OK, (await gateway.GetAsync("/api/rooms/1")).StatusCode);
    }

    [Fact]
    public async Task A_probe_whose_client_goes_away_leaves_the_circuit_open_until_a_probe_is_answered()
    {
        var mode = "fail";
        await using var destination = new ScriptedDestination((_, _) => Volatile.Read(ref mode) switch
        {
            "fail" => ScriptedDestination.Status(500),
            "hold" => null,
            _ => ScriptedDestination.Ok("back"),
        });
        var (app, url) = StartGatewayWithLiveAt(destination.Address);
        await using var _ = app;
        using var gateway = new HttpClient { BaseAddress = url };
        for (var i = 0; i < 4; i++) Assert.Equal(HttpStatusCode.InternalServerError, (await gateway.GetAsync("/api/rooms/1")).StatusCode);
        await (await gateway.GetAsync("/api/rooms/1")).AssertProblemAsync(HttpStatusCode.ServiceUnavailable);

        // after the break the probe reaches the destination, and its client leaves before the answer
        Volatile.Write(ref mode, "hold");
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        using (var probe = await RawHttpClient.ConnectAsync(url))
        {
            await probe.SendAsync("GET /api/rooms/1 HTTP/1.1\r\nHost: gw\r\n\r\n");
            await ApiClient.EventuallyAsync(() => Task.FromResult(destination.Requests == 5), "the probe to reach the destination");
        }

        await ApiClient.EventuallyAsync(() => Task.FromResult(!destination.HeldRequestsClosed.IsEmpty), "the gateway to give the probe up");
        await Task.Delay(TimeSpan.FromMilliseconds(100));
        Volatile.Write(ref mode, "ok");

        // the circuit did not close on a probe that proved nothing
        var refused = await gateway.GetAsync("/api/rooms/1");
        Assert.EndsWith("/circuit-open", (await refused.AssertProblemAsync(HttpStatusCode.ServiceUnavailable))["type"]!.GetValue<string>());
        Assert.Equal(5, destination.Requests);

        // after another break a probe that is answered closes it
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        for (var i = 0; i < 3; i++) Assert.Equal("back", await gateway.GetStringAsync("/api/rooms/1"));
    }

    [Fact]
    public async Task A_destination_slower_than_the_route_timeout_gives_504()
    {
        var stopwatch = Stopwatch.StartNew();
        var problem = await (await fixture.Gateway.GetAsync("/api/ranks/slow?delayMs=5000")).AssertProblemAsync(HttpStatusCode.GatewayTimeout);

        Assert.EndsWith("/upstream-timeout", problem["type"]!.GetValue<string>());
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(4), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Two_instances_share_the_load_and_requests_keep_succeeding_when_one_is_killed()
    {
        var seen = new HashSet<string>();
        for (var i = 0; i < 20; i++)
        {
            var response = await fixture.Gateway.GetAsync("/api/users/1");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            seen.Add(response.Headers.GetValues("X-Instance").Single());
        }

        Assert.Equal(["user-a", "user-b"], seen.Order());

        await fixture.Backend("user-b").KillAsync();

        // until its lease expires (3 s) the dead instance is still listed: retries and its breaker cover the gap
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(6);
        var requests = 0;
        while (DateTime.UtcNow < deadline)
        {
            var response = await fixture.Gateway.GetAsync("/api/users/1");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"request {requests} after the kill: {(int)response.StatusCode}");
            Assert.Equal("user-a", response.Headers.GetValues("X-Instance").Single());
            requests++;
            await Task.Delay(20);
        }

        Assert.True(requests > 50, $"{requests} requests");
        await ApiClient.EventuallyAsync(async () =>
            (await new EtcdClient(new HttpClient { BaseAddress = new Uri(fixture.EtcdEndpoint) })
                .GetPrefixAsync(ServiceRegistry.Key("user", "user-b"))).Items.Count == 0, "the lease to expire");
    }

    [Fact]
    public async Task An_unreachable_destination_gives_502_and_a_non_idempotent_request_is_not_retried()
    {
        var deadPort = ServerProcess.FreePort();
        var (app, url) = StartGatewayWithLiveAt($"http://127.0.0.1:{deadPort}");
        await using var _ = app;
        using var gateway = new HttpClient { BaseAddress = url };

        var problem = await (await gateway.PostAsJsonAsync("/api/rooms", new { title = "t" })).AssertProblemAsync(HttpStatusCode.BadGateway);

        Assert.EndsWith("/bad-gateway", problem["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_destination_that_answers_what_is_not_http_gives_502()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var garbage = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            var request = new byte[4096];
            await socket.ReceiveAsync(request);
            await socket.SendAsync("SSH-2.0-OpenSSH_9.2\r\n\r\n"u8.ToArray());
        });
        var (app, url) = StartGatewayWithLiveAt($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        await using var _ = app;
        using var gateway = new HttpClient { BaseAddress = url };

        var problem = await (await gateway.GetAsync("/api/rooms/1")).AssertProblemAsync(HttpStatusCode.BadGateway);

        Assert.EndsWith("/bad-gateway", problem["type"]!.GetValue<string>());
        Assert.Contains("InvalidResponse", problem["detail"]!.GetValue<string>());
        await garbage;
    }

    [Fact]
    public async Task With_etcd_down_at_start_the_gateway_warns_and_routes_to_its_static_destinations()
    {
        var logs = new CapturedLogs();
        var (app, url) = fixture.StartGateway(new Dictionary<string, string?>
        {
            ["Discovery:Etcd:Endpoint"] = $"http://127.0.0.1:{ServerProcess.FreePort()}",
            ["ReverseProxy:Clusters:user:Destinations:user-1:Address"] = fixture.Backend("user-a").Url,
        }, logs);
        await using var _ = app;
        using var gateway = new HttpClient { BaseAddress = url };

        Assert.Equal("user", await fixture.ServiceBehindAsync("/api/users/1", gateway));
        await ApiClient.EventuallyAsync(() => Task.FromResult(logs.Lines.Any(l =>
            l.Level == LogLevel.Warning && l.Message.Contains("routing to the static destinations"))), "the warning");
    }
}
