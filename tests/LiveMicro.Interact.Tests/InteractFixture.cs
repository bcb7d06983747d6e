extern alias auth;
extern alias user;
using System.Net;
using LiveMicro.Contracts;
using LiveMicro.EventBus;
using LiveMicro.Interact.Infrastructure;
using LiveMicro.Interact.Lotteries;
using LiveMicro.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LiveMicro.Interact.Tests;

[CollectionDefinition(Name)]
public sealed class InteractCollection : ICollectionFixture<InteractFixture>
{
    public const string Name = "interact";
}

/// <summary>Real PostgreSQL and Redis; auth (tokens, JWKS) and user (follow graph) in-process; two interact instances
/// on real Kestrel ports sharing the database and Redis, as two instances behind the gateway would.</summary>
public sealed class InteractFixture : IAsyncLifetime
{
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(1);

    private TestBackends? _backends;
    private long _nextRoomId = 1000;

    public ServiceApp<auth::Program> AuthApp { get; private set; } = null!;

    public ServiceApp<user::Program> UserApp { get; private set; } = null!;

    public HttpClient Auth { get; private set; } = null!;

    public HttpClient Users { get; private set; } = null!;

    public ServiceApp<Program> InteractA { get; private set; } = null!;

    public ServiceApp<Program> InteractB { get; private set; } = null!;

    public Uri UrlA { get; private set; } = null!;

    public Uri UrlB { get; private set; } = null!;

    public HttpClient Interact { get; private set; } = null!;

    public HttpClient InteractOnB { get; private set; } = null!;

    public Dictionary<string, string?> Settings { get; private set; } = [];

    public string RedisConnectionString => _backends!.Redis.ConnectionString;

    public async Task InitializeAsync()
    {
        _backends = await TestBackends.StartAsync();
        AuthApp = new ServiceApp<auth::Program>(await _backends.SettingsAsync("AuthDb"));
        Auth = AuthApp.CreateClient();
        UserApp = new ServiceApp<user::Program>(await _backends.SettingsAsync("UserDb"), TestBackends.JwksFrom(AuthApp));
        Users = UserApp.CreateClient();

        Settings = new Dictionary<string, string?>(await _backends.SettingsAsync("InteractDb"))
        {
            ["EventBus:DeliverHistoryToNewGroup"] = "true",
            ["EventBus:PollInterval"] = "00:00:00.200",
            ["Payments:DevelopmentProvider"] = "true",
            ["Chat:HeartbeatInterval"] = Heartbeat.ToString(),
            ["Chat:DanmakuBurst"] = "60",
            ["Chat:DanmakuPerSecond"] = "20",
            ["Chat:ViewerCountInterval"] = "00:00:00.050",
            ["Chat:MaxUserListPage"] = "100",
            ["Lotteries:DrawInterval"] = "00:00:00.200",
            ["Lotteries:UserServiceUrl"] = "http://user",
        };
        (InteractA, UrlA) = StartInteract("a");
        (InteractB, UrlB) = StartInteract("b");
        Interact = new HttpClient { BaseAddress = UrlA };
        InteractOnB = new HttpClient { BaseAddress = UrlB };
    }

    /// <summary>An interact instance on a real port (WebSockets need a socket), JWKS and user-service calls answered
    /// by the in-process auth and user services.</summary>
    public (ServiceApp<Program> App, Uri Url) StartInteract(string instanceId, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>(Settings) { ["Chat:InstanceId"] = instanceId };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) settings[key] = value;
        var app = new ServiceApp<Program>(settings, services =>
        {
            TestBackends.JwksFrom(AuthApp)(services);
            services.AddHttpClient(FollowChecker.HttpClientName)
                .ConfigurePrimaryHttpMessageHandler(() => UserApp.Server.CreateHandler());
        });
        return (app, app.StartOnLoopback());
    }

    /// <summary>A room as the live service announces it, through the real event bus; answers once interact has it.</summary>
    public async Task<long> CreateRoomAsync(SignedInUser anchor, string status = RoomStatuses.Live)
    {
        var roomId = Interlocked.Increment(ref _nextRoomId);
        await PublishRoomStatusAsync(roomId, anchor, status);
        await ApiClient.EventuallyAsync(async () => await RoomStatusAsync(roomId) == status, $"room {roomId} is {status}");
        return roomId;
    }

    public Task PublishRoomStatusAsync(long roomId, SignedInUser anchor, string status) =>
        InteractA.Services.GetRequiredService<IEventBus>()
            .PublishAsync(new RoomStatusChanged(roomId, anchor.Id, $"Name of {anchor.Username}", $"Room {roomId}", status));

    public async Task<string?> RoomStatusAsync(long roomId) =>
        await QueryAsync(db => db.Rooms.Where(r => r.Id == roomId).Select(r => r.Status).SingleOrDefaultAsync());

    public async Task<T> QueryAsync<T>(Func<InteractDbContext, Task<T>> query)
    {
        await using var scope = InteractA.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<InteractDbContext>());
    }

    public async Task<SignedInUser> NewUserAsync() => await Auth.RegisterAndLoginAsync();

    public async Task TopUpAsync(SignedInUser user, long coins)
    {
        var response = await Interact.SendAsync(HttpMethod.Post, "/api/wallet/top-ups", user.AccessToken,
            new { amount = coins, idempotencyKey = Guid.NewGuid().ToString("N") });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    public async Task DisposeAsync()
    {
        Interact?.Dispose();
        InteractOnB?.Dispose();
        if (InteractA is not null) await InteractA.DisposeAsync();
        if (InteractB is not null) await InteractB.DisposeAsync();
        Users?.Dispose();
        Auth?.Dispose();
        if (UserApp is not null) await UserApp.DisposeAsync();
        if (AuthApp is not null) await AuthApp.DisposeAsync();
        if (_backends is not null) await _backends.DisposeAsync();
    }
}
