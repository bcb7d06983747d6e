extern alias auth;
using LiveMicro.Testing;

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
    private TestBackends? _backends;

    public ServiceApp<auth::Program> AuthApp { get; private set; } = null!;

    public ServiceApp<Program> UserApp { get; private set; } = null!;

    public HttpClient Auth { get; private set; } = null!;

    public HttpClient Users { get; private set; } = null!;

    public Dictionary<string, string?> UserSettings { get; private set; } = [];

    public string RedisConnectionString => _backends!.Redis.ConnectionString;

    public async Task InitializeAsync()
    {
        _backends = await TestBackends.StartAsync();
        AuthApp = new ServiceApp<auth::Program>(await _backends.SettingsAsync("AuthDb"));
        Auth = AuthApp.CreateClient();
        UserSettings = await _backends.SettingsAsync("UserDb");
        UserApp = CreateUserApp(UserSettings);
        Users = UserApp.CreateClient();
    }

    /// <summary>The user service with its JWKS requests answered by the in-process auth service.</summary>
    public ServiceApp<Program> CreateUserApp(IReadOnlyDictionary<string, string?> settings) =>
        new(settings, TestBackends.JwksFrom(AuthApp));

    public async Task DisposeAsync()
    {
        Users?.Dispose();
        Auth?.Dispose();
        if (UserApp is not null) await UserApp.DisposeAsync();
        if (AuthApp is not null) await AuthApp.DisposeAsync();
        if (_backends is not null) await _backends.DisposeAsync();
    }
}
