extern alias auth;
using LiveMicro.ServiceDefaults.Authentication;
using LiveMicro.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LiveMicro.User.Tests;

[CollectionDefinition(Name)]
public sealed class UserCollection : ICollectionFixture<UserFixture>
{
    public const string Name = "user";
}

/// <summary>Real PostgreSQL and Redis; the auth service (tokens, JWKS, UserRegistered) and the user service
/// in-process, talking through the real event bus.</summary>
public sealed class UserFixture : IAsyncLifetime
{
    private PostgresServer? _postgres;
    private RedisServer? _redis;

    public ServiceApp<auth::Program> AuthApp { get; private set; } = null!;

    public ServiceApp<Program> UserApp { get; private set; } = null!;

    public HttpClient Auth { get; private set; } = null!;

    public HttpClient Users { get; private set; } = null!;

    public Dictionary<string, string?> UserSettings { get; private set; } = [];

    public string RedisConnectionString => _redis!.ConnectionString;

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        _redis = await RedisServer.StartAsync();
        AuthApp = new ServiceApp<auth::Program>(new Dictionary<string, string?>
        {
            ["ConnectionStrings:AuthDb"] = await _postgres.CreateDatabaseAsync("auth"),
            ["ConnectionStrings:Redis"] = _redis.ConnectionString,
        });
        Auth = AuthApp.CreateClient();

        UserSettings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:UserDb"] = await _postgres.CreateDatabaseAsync("user"),
            ["ConnectionStrings:Redis"] = _redis.ConnectionString,
            ["Jwt:JwksUrl"] = "http://auth/.well-known/jwks.json",
        };
        UserApp = CreateUserApp(UserSettings);
        Users = UserApp.CreateClient();
    }

    /// <summary>The user service with its JWKS requests answered by the in-process auth service.</summary>
    public ServiceApp<Program> CreateUserApp(IReadOnlyDictionary<string, string?> settings) =>
        new(settings, services => services.AddHttpClient(AuthenticationExtensions.JwksHttpClient)
            .ConfigurePrimaryHttpMessageHandler(() => AuthApp.Server.CreateHandler()));

    public async Task DisposeAsync()
    {
        Users?.Dispose();
        Auth?.Dispose();
        if (UserApp is not null) await UserApp.DisposeAsync();
        if (AuthApp is not null) await AuthApp.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
    }
}
