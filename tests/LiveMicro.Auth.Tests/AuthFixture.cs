using LiveMicro.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LiveMicro.Auth.Tests;

[CollectionDefinition(Name)]
public sealed class AuthCollection : ICollectionFixture<AuthFixture>
{
    public const string Name = "auth";
}

/// <summary>Real PostgreSQL and Redis for the collection, and the auth service in-process on them.</summary>
public sealed class AuthFixture : IAsyncLifetime
{
    private PostgresServer? _postgres;
    private RedisServer? _redis;
    private string _database = "";

    public ServiceApp<Program> App { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public Dictionary<string, string?> Settings => new()
    {
        ["ConnectionStrings:AuthDb"] = _database,
        ["ConnectionStrings:Redis"] = _redis!.ConnectionString,
        ["EventBus:ServiceName"] = "auth",
    };

    /// <summary>Another auth instance on the same database and Redis (a restart, or a second replica).</summary>
    public ServiceApp<Program> CreateApp(Action<IServiceCollection>? configureServices = null) =>
        new(Settings, configureServices);

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        _redis = await RedisServer.StartAsync();
        _database = await _postgres.CreateDatabaseAsync("auth");
        App = CreateApp();
        Client = App.CreateClient();
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (App is not null) await App.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
    }
}
