extern alias auth;
extern alias user;
using System.Net.WebSockets;
using LiveMicro.Contracts;
using LiveMicro.EventBus;
using LiveMicro.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LiveMicro.Rank.Tests;

[CollectionDefinition(Name)]
public sealed class RankCollection : ICollectionFixture<RankFixture>
{
    public const string Name = "rank";
}

/// <summary>Real PostgreSQL (for auth and user) and Redis; the auth service (UserRegistered), the user service
/// (UserFollowed, UserUnfollowed) and the rank service in-process, talking through the real event bus.</summary>
public sealed class RankFixture : IAsyncLifetime
{
    private TestBackends? _backends;

    public ServiceApp<auth::Program> AuthApp { get; private set; } = null!;

    public ServiceApp<Program> RankApp { get; private set; } = null!;

    public HttpClient Auth { get; private set; } = null!;

    public HttpClient Ranks { get; private set; } = null!;

    public ServiceApp<user::Program> UserApp { get; private set; } = null!;

    /// <summary>The user service, whose follows and unfollows feed the followers board.</summary>
    public HttpClient Users { get; private set; } = null!;

    /// <summary>Publishes as interact would: onto the same Redis streams the rank service consumes.</summary>
    public IEventBus Events => RankApp.Services.GetRequiredService<IEventBus>();

    public async Task InitializeAsync()
    {
        _backends = await TestBackends.StartAsync();
        AuthApp = new ServiceApp<auth::Program>(await _backends.SettingsAsync("AuthDb"));
        Auth = AuthApp.CreateClient();
        UserApp = new ServiceApp<user::Program>(await _backends.SettingsAsync("UserDb"), TestBackends.JwksFrom(AuthApp));
        Users = UserApp.CreateClient();
        var settings = await _backends.SettingsAsync("RankDb");
        settings["Rank:PushInterval"] = "00:00:00.050";
        RankSettings = settings;
        (RankApp, Ranks) = StartRank();
    }

    public Dictionary<string, string?> RankSettings { get; private set; } = [];

    private static long _lastRoomId = Random.Shared.NextInt64(1_000_000, 1_000_000_000);

    /// <summary>A room no other test has given to, so that boards start empty.</summary>
    public static long NewRoomId() => Interlocked.Increment(ref _lastRoomId);

    /// <summary>The places on the board at <paramref name="path"/>.</summary>
    public async Task<List<(long UserId, string? Name, long Score)>> BoardAsync(string path) =>
        (await (await Ranks.GetAsync(path)).ReadJsonAsync())["entries"]!.AsArray()
        .Select(e => (e!["userId"]!.GetValue<long>(), e["name"]?.GetValue<string>(), e["score"]!.GetValue<long>())).ToList();

    /// <summary>A GiftSent as interact publishes it.</summary>
    public static GiftSent Gift(long roomId, long anchorId, long senderId, string senderName, long coins, DateTimeOffset? at = null) =>
        new(roomId, anchorId, senderId, senderName, GiftId: 1, GiftName: "Rocket", Count: 1, TotalCoins: coins, Level: "epic")
        {
            OccurredAt = at ?? DateTimeOffset.UtcNow,
        };

    /// <summary>A rank instance on a real port (a browser's WebSocket needs one), on the collection's Redis.</summary>
    public (ServiceApp<Program> App, HttpClient Client) StartRank(TimeProvider? time = null)
    {
        var app = new ServiceApp<Program>(RankSettings, services =>
        {
            TestBackends.JwksFrom(AuthApp)(services);
            if (time is not null) services.AddSingleton(time);
        });
        app.UseKestrel(0);
        app.StartServer();
        return (app, app.CreateClient());
    }

    /// <summary>A real WebSocket to <paramref name="path"/> on <paramref name="rank"/> (this collection's instance by
    /// default).</summary>
    public async Task<ClientWebSocket> ConnectAsync(string path, HttpClient? rank = null)
    {
        var socket = new ClientWebSocket();
        var address = (rank ?? Ranks).BaseAddress!;
        await socket.ConnectAsync(new Uri(new UriBuilder(address) { Scheme = "ws" }.Uri, path), CancellationToken.None);
        return socket;
    }

    public async Task DisposeAsync()
    {
        Ranks?.Dispose();
        Users?.Dispose();
        Auth?.Dispose();
        if (UserApp is not null) await UserApp.DisposeAsync();
        if (RankApp is not null) await RankApp.DisposeAsync();
        if (AuthApp is not null) await AuthApp.DisposeAsync();
        if (_backends is not null) await _backends.DisposeAsync();
    }
}
