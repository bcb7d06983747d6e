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
    private TestBackends? _backends;
    private Dictionary<string, string?> _settings = [];

    public ServiceApp<Program> App { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    /// <summary>Another auth instance on the same database and Redis (a restart, or a second replica).</summary>
    public ServiceApp<Program> CreateApp(Action<IServiceCollection>? configureServices = null) =>
        new(_settings, configureServices);

    public async Task InitializeAsync()
    {
        _backends = await TestBackends.StartAsync();
        _settings = await _backends.SettingsAsync("AuthDb");
        App = CreateApp();
        Client = App.CreateClient();
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (App is not null) await App.DisposeAsync();
        if (_backends is not null) await _backends.DisposeAsync();
    }
}
