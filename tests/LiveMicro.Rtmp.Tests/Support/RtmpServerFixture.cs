using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LiveMicro.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace LiveMicro.Rtmp.Tests.Support;

[CollectionDefinition(Name)]
public sealed class RtmpCollection : ICollectionFixture<RtmpServerFixture>
{
    public const string Name = "rtmp";
}

/// <summary>
/// Real Redis, the live service's stream-key contract on a loopback port, and the rtmp service in-process on real
/// Kestrel: RTMP and HTTP on free loopback ports, with short timeouts so the tests that wait for them stay quick.
/// </summary>
public class RtmpServerFixture : IAsyncLifetime
{
    private RedisServer? _redis;
    private ConnectionMultiplexer? _redisConnection;

    public LiveServiceStandIn Live { get; private set; } = null!;

    public ServiceApp<Program> App { get; private set; } = null!;

    public CapturedLogs Logs { get; } = new();

    public int RtmpPort { get; private set; }

    public int HttpPort { get; private set; }

    public HttpClient Http { get; private set; } = null!;

    public string RtmpUrl(string name) => $"rtmp://127.0.0.1:{RtmpPort}/live/{name}";

    public string HttpUrl(string path) => $"http://127.0.0.1:{HttpPort}{path}";

    /// <summary>Configuration on top of the defaults above, for a fixture with other limits.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings => [];

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _redisConnection = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        Live = await LiveServiceStandIn.StartAsync();
        RtmpPort = ServerProcess.FreePort();
        HttpPort = ServerProcess.FreePort();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = _redis.ConnectionString,
            ["Jwt:JwksUrl"] = "http://127.0.0.1:9/.well-known/jwks.json",
            ["Rtmp:Port"] = RtmpPort.ToString(),
            ["Rtmp:HttpPort"] = HttpPort.ToString(),
            ["Rtmp:ListenAddress"] = "127.0.0.1",
            ["Rtmp:LiveServiceUrl"] = Live.Url,
            ["Rtmp:HandshakeTimeout"] = "00:00:02",
            ["Rtmp:PublisherIdleTimeout"] = "00:00:04",
            ["Rtmp:PublisherTakeoverAfter"] = "00:00:01",
            ["Hls:EndedStreamRetention"] = "00:05:00",
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        App = new ServiceApp<Program>(settings, services => services.AddSingleton<ILoggerProvider>(Logs));
        App.UseKestrel();
        App.StartServer();
        Http = new HttpClient { BaseAddress = new Uri(HttpUrl("/")) };
    }

    /// <summary>The stream's entry in <c>GET /api/streams</c>, or null while it is not live.</summary>
    public async Task<JsonNode?> StreamStatsAsync(string streamName)
    {
        var streams = await Http.GetFromJsonAsync<JsonArray>("/api/streams");
        return streams!.FirstOrDefault(s => s!["name"]!.GetValue<string>() == streamName);
    }

    /// <summary>Waits until the stream is live and has sent media (it then has a GOP to hand new players).</summary>
    public async Task WaitUntilLiveAsync(string streamName, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (await StreamStatsAsync(streamName) is { } stats && stats["bytesReceived"]!.GetValue<long>() > 0)
            {
                return;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"{streamName} did not go live");
    }

    public async Task WaitUntilGoneAsync(string streamName)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await StreamStatsAsync(streamName) is not null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{streamName} is still listed");
            await Task.Delay(50);
        }
    }

    /// <summary>The events of one type in Redis, as JSON bodies, oldest first.</summary>
    public async Task<List<JsonNode>> EventsAsync(string eventType)
    {
        var result = await _redisConnection!.GetDatabase().ExecuteAsync("XRANGE", $"livemicro:events:{eventType}", "-", "+");
        var events = new List<JsonNode>();
        foreach (var entry in (RedisResult[])result!)
        {
            var fields = (RedisResult[])((RedisResult[])entry!)[1]!;
            for (var i = 0; i + 1 < fields.Length; i += 2)
            {
                if ((string?)fields[i] == "body")
                {
                    events.Add(JsonNode.Parse((string)fields[i + 1]!)!);
                }
            }
        }

        return events;
    }

    public async Task<JsonNode> EventuallyEventAsync(string eventType, Func<JsonNode, bool> match)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            if ((await EventsAsync(eventType)).FirstOrDefault(match) is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no matching {eventType} event");
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        if (Live is not null)
        {
            await Live.DisposeAsync();
        }

        _redisConnection?.Dispose();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}
