using LiveMicro.ServiceDefaults.Authentication;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LiveMicro.Testing;

/// <summary>The real PostgreSQL and Redis of one test collection, and the settings that point a service at them.</summary>
public sealed class TestBackends : IAsyncDisposable
{
    /// <summary>Where services fetch the in-process auth service's keys (see <see cref="JwksFrom{T}"/>).</summary>
    public const string JwksUrl = "http://auth/.well-known/jwks.json";

    private TestBackends(PostgresServer postgres, RedisServer redis)
    {
        Postgres = postgres;
        Redis = redis;
    }

    public PostgresServer Postgres { get; }

    public RedisServer Redis { get; }

    public static async Task<TestBackends> StartAsync()
    {
        var postgres = await PostgresServer.StartAsync();
        try
        {
            return new TestBackends(postgres, await RedisServer.StartAsync());
        }
        catch
        {
            await postgres.DisposeAsync();
            throw;
        }
    }

    /// <summary>A fresh database as <c>ConnectionStrings:{databaseName}</c>, this Redis, and auth's JWKS.</summary>
    public async Task<Dictionary<string, string?>> SettingsAsync(string databaseName) => new()
    {
        [$"ConnectionStrings:{databaseName}"] = await Postgres.CreateDatabaseAsync(databaseName.ToLowerInvariant()),
        ["ConnectionStrings:Redis"] = Redis.ConnectionString,
        ["Jwt:JwksUrl"] = JwksUrl,
        // the in-process auth service speaks plain HTTP
        ["Jwt:AllowHttpJwks"] = "true",
    };

    /// <summary>Answers the service's JWKS requests from the in-process auth service.</summary>
    public static Action<IServiceCollection> JwksFrom<TAuth>(WebApplicationFactory<TAuth> auth) where TAuth : class =>
        services => services.AddHttpClient(AuthenticationExtensions.JwksHttpClient)
            .ConfigurePrimaryHttpMessageHandler(() => auth.Server.CreateHandler());

    public async ValueTask DisposeAsync()
    {
        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}
