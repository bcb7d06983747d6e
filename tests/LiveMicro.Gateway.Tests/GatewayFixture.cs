extern alias auth;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using LiveMicro.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LiveMicro.Gateway.Tests;

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}

/// <summary>Real PostgreSQL, Redis and etcd; the auth service in-process (tokens, JWKS, logout); one echo backend
/// process per service behind the gateway (two for user) registered in etcd; and the gateway on real Kestrel,
/// whose static destinations point nowhere, so every request it routes went through discovery.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public static readonly string[] Services = ["auth", "user", "live", "interact", "rank", "rtmp"];

    private TestBackends? _stores;
    private EtcdServer? _etcd;
    private readonly List<EchoBackendProcess> _backends = [];

    public Dictionary<string, string?> AuthSettings { get; private set; } = [];

    public ServiceApp<auth::Program> AuthApp { get; private set; } = null!;

    public HttpClient Auth { get; private set; } = null!;

    public ServiceApp<Program> GatewayApp { get; private set; } = null!;

    public HttpClient Gateway { get; private set; } = null!;

    public Uri GatewayUrl { get; private set; } = null!;

    public string EtcdEndpoint => _etcd!.Endpoint;

    public IReadOnlyList<EchoBackendProcess> Backends => _backends;

    public async Task InitializeAsync()
    {
        _stores = await TestBackends.StartAsync();
        _etcd = await EtcdServer.StartAsync();
        AuthSettings = await _stores.SettingsAsync("AuthDb");
        AuthApp = new ServiceApp<auth::Program>(AuthSettings);
        Auth = AuthApp.CreateClient();

        var starts = Services.Select(s => EchoBackendProcess.StartAsync(s, $"{s}-a", _etcd.Endpoint))
            .Append(EchoBackendProcess.StartAsync("user", "user-b", _etcd.Endpoint));
        _backends.AddRange(await Task.WhenAll(starts));

        var deadDestination = $"http://127.0.0.1:{ServerProcess.FreePort()}";
        (GatewayApp, GatewayUrl) = StartGateway(Services.ToDictionary(s => $"ReverseProxy:Clusters:{s}:Destinations:{s}-1:Address", _ => (string?)deadDestination));
        Gateway = new HttpClient { BaseAddress = GatewayUrl };
        foreach (var service in Services)
        {
            await ApiClient.EventuallyAsync(async () => await ServiceBehindAsync(PathOf(service)) == service,
                $"the gateway to discover {service}", TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>A gateway on a free port (HTTPS with <paramref name="certificate"/>), on this collection's Redis and
    /// etcd, with the JWKS from the in-process auth service and limits small enough for tests to reach;
    /// <paramref name="overrides"/> win.</summary>
    public (ServiceApp<Program> App, Uri Url) StartGateway(IReadOnlyDictionary<string, string?> overrides, CapturedLogs? logs = null,
        X509Certificate2? certificate = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = _stores!.Redis.ConnectionString,
            ["Jwt:JwksUrl"] = TestBackends.JwksUrl,
            ["Discovery:Etcd:Endpoint"] = _etcd!.Endpoint,
            ["Discovery:RetryDelay"] = "00:00:00.500",
            ["RateLimits:Policies:auth:PermitLimit"] = "5",
            ["Resilience:CircuitBreaker:MinimumThroughput"] = "4",
            ["Resilience:CircuitBreaker:SamplingDuration"] = "00:00:05",
            ["Resilience:CircuitBreaker:BreakDuration"] = "00:00:01",
            ["ReverseProxy:Routes:ranks:Timeout"] = "00:00:01",
        };
        foreach (var service in Services) settings[$"ReverseProxy:Clusters:{service}:HealthCheck:Active:Interval"] = "00:00:01";
        foreach (var (key, value) in overrides) settings[key] = value;

        var app = new ServiceApp<Program>(settings, services =>
        {
            TestBackends.JwksFrom(AuthApp)(services);
            if (logs is not null) services.AddSingleton<ILoggerProvider>(logs);
        });
        return (app, app.StartOnLoopback(certificate));
    }

    /// <summary>A gateway of its own (see <see cref="StartGateway"/>), once it routes <paramref name="probe"/> to the
    /// user service.</summary>
    public async Task<(ServiceApp<Program> App, Uri Url)> StartGatewayAsync(Dictionary<string, string?> overrides, string probe = "/api/users/1",
        CapturedLogs? logs = null)
    {
        var (app, url) = StartGateway(overrides, logs);
        using var http = new HttpClient { BaseAddress = url };
        await ApiClient.EventuallyAsync(async () => await ServiceBehindAsync(probe, http) == "user",
            "the gateway to discover the user service", TimeSpan.FromSeconds(30));
        return (app, url);
    }

    /// <summary>An anonymous path each service answers through the gateway.</summary>
    public static string PathOf(string service) => service switch
    {
        "auth" => "/api/auth/anything",
        "user" => "/api/users/1",
        "live" => "/api/rooms/1",
        "interact" => "/api/gifts",
        "rank" => "/api/ranks/daily",
        "rtmp" => "/api/streams",
        _ => throw new ArgumentOutOfRangeException(nameof(service)),
    };

    /// <summary>The service whose echo answered <paramref name="path"/> through the gateway, or null.</summary>
    public async Task<string?> ServiceBehindAsync(string path, HttpClient? gateway = null)
    {
        using var response = await (gateway ?? Gateway).GetAsync(path);
        if (response.StatusCode != HttpStatusCode.OK) return null;
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())?["service"]?.GetValue<string>();
    }

    public EchoBackendProcess Backend(string instance) => _backends.Single(b => b.Instance == instance);

    public async Task DisposeAsync()
    {
        Gateway?.Dispose();
        if (GatewayApp is not null) await GatewayApp.DisposeAsync();
        foreach (var backend in _backends) await backend.DisposeAsync();
        Auth?.Dispose();
        if (AuthApp is not null) await AuthApp.DisposeAsync();
        if (_etcd is not null) await _etcd.DisposeAsync();
        if (_stores is not null) await _stores.DisposeAsync();
    }
}
