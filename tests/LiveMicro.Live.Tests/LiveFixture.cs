extern alias auth;
extern alias rtmp;
using System.Globalization;
using System.Net.WebSockets;
using LiveMicro.EventBus;
using LiveMicro.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LiveMicro.Live.Tests;

[CollectionDefinition(Name)]
public sealed class LiveCollection : ICollectionFixture<LiveFixture>
{
    public const string Name = "live";
}

/// <summary>Real PostgreSQL and Redis; auth in-process for tokens; the live service on real Kestrel (so
/// WebSocket clients are real sockets that can vanish) with short heartbeats.</summary>
public sealed class LiveFixture : IAsyncLifetime
{
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(1);

    private TestBackends? _backends;

    public ServiceApp<auth::Program> AuthApp { get; private set; } = null!;

    public ServiceApp<Program> LiveApp { get; private set; } = null!;

    public HttpClient Auth { get; private set; } = null!;

    public HttpClient Live { get; private set; } = null!;

    public Uri LiveAddress { get; private set; } = null!;

    public string RedisConnectionString => _backends!.Redis.ConnectionString;

    /// <summary>The settings the collection's live service runs with, for a test that starts another.</summary>
    public IReadOnlyDictionary<string, string?> LiveSettings { get; private set; } = new Dictionary<string, string?>();

    /// <summary>Where the live service relays WebRTC publishers over RTMP.</summary>
    public int RtmpPort { get; private set; }

    public IEventBus EventBus => LiveApp.Services.GetRequiredService<IEventBus>();

    public async Task InitializeAsync()
    {
        _backends = await TestBackends.StartAsync();
        AuthApp = new ServiceApp<auth::Program>(await _backends.SettingsAsync("AuthDb"));
        Auth = AuthApp.CreateClient();

        var settings = await _backends.SettingsAsync("LiveDb");
        settings["Live:HeartbeatInterval"] = Heartbeat.ToString();
        settings["Live:HttpPresenceTtl"] = "00:00:01";
        settings["Live:CountPushInterval"] = "00:00:00.050";
        settings["Live:MaxMessageBytes"] = "1024";
        settings["Live:RtmpUrl"] = "rtmp://media.example:1935/live";
        settings["Live:PlaybackBaseUrl"] = "https://play.example";
        // WebRTC publishers are relayed to the media server a test starts on this port (WhipIngestTests)
        RtmpPort = ServerProcess.FreePort();
        settings["WebRtc:RtmpIngestUrl"] = $"rtmp://127.0.0.1:{RtmpPort}/live";
        settings["WebRtc:UdpPort"] = "0";
        // above the 2.5 s at which Chromium checks a working pair, so only a browser that is gone times out
        settings["WebRtc:ConsentTimeout"] = "00:00:08";
        LiveSettings = settings;
        LiveApp = new ServiceApp<Program>(settings, TestBackends.JwksFrom(AuthApp));
        LiveApp.UseKestrel(0);
        LiveApp.StartServer();
        Live = LiveApp.CreateClient();
        LiveAddress = Live.BaseAddress!;
    }

    /// <summary>A real WebSocket to the room, as a browser would open it.</summary>
    /// <summary>The real media server on the collection's Redis, asking this live service to authorize publishers,
    /// RTMP on <paramref name="rtmpPort"/> and HTTP-FLV/HLS on <paramref name="httpPort"/>.</summary>
    public ServiceApp<rtmp::Program> StartMediaServer(int rtmpPort, int httpPort, TimeSpan? authorizationCacheDuration = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = RedisConnectionString,
            ["Jwt:JwksUrl"] = "http://127.0.0.1:9/.well-known/jwks.json",
            ["Rtmp:Port"] = rtmpPort.ToString(CultureInfo.InvariantCulture),
            ["Rtmp:HttpPort"] = httpPort.ToString(CultureInfo.InvariantCulture),
            ["Rtmp:ListenAddress"] = "127.0.0.1",
            ["Rtmp:LiveServiceUrl"] = LiveAddress.ToString(),
        };
        if (authorizationCacheDuration is { } cache) settings["Rtmp:AuthorizationCacheDuration"] = cache.ToString();
        var media = new ServiceApp<rtmp::Program>(settings);
        media.UseKestrel();
        media.StartServer();
        return media;
    }

    public async Task<ClientWebSocket> ConnectAsync(long roomId, string? accessToken = null, string? guest = null)
    {
        var socket = new ClientWebSocket();
        var query = accessToken is not null ? $"?access_token={accessToken}" : guest is not null ? $"?guest={guest}" : "";
        var uri = new UriBuilder(LiveAddress) { Scheme = "ws", Path = $"/ws/rooms/{roomId}", Query = query }.Uri;
        await socket.ConnectAsync(uri, CancellationToken.None);
        return socket;
    }

    public async Task DisposeAsync()
    {
        Live?.Dispose();
        Auth?.Dispose();
        if (LiveApp is not null) await LiveApp.DisposeAsync();
        if (AuthApp is not null) await AuthApp.DisposeAsync();
        if (_backends is not null) await _backends.DisposeAsync();
    }
}
