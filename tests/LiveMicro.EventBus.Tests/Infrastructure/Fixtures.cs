using LiveMicro.Testing;
using StackExchange.Redis;

namespace LiveMicro.EventBus.Tests.Infrastructure;

/// <summary>One real redis-server for a test collection, and a connection for the tests' own raw commands.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    public RawRedis Raw { get; private set; } = null!;

    private ConnectionMultiplexer _connection = null!;

    public async Task InitializeAsync()
    {
        Server = await RedisServer.StartAsync();
        _connection = await ConnectionMultiplexer.ConnectAsync(Server.ConnectionString);
        Raw = new RawRedis(_connection.GetDatabase());
    }

    public async Task DisposeAsync()
    {
        _connection.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>Redis and PostgreSQL for the outbox tests; each test makes a database of its own.</summary>
public sealed class OutboxFixture : IAsyncLifetime
{
    public RedisFixture Redis { get; } = new();

    public PostgresServer Postgres { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var redis = Redis.InitializeAsync();
        var postgres = PostgresServer.StartAsync();
        await redis;
        Postgres = await postgres;
    }

    public async Task DisposeAsync()
    {
        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>
{
    public const string Name = "Redis";
}

[CollectionDefinition(Name)]
public sealed class OutboxCollection : ICollectionFixture<OutboxFixture>
{
    public const string Name = "Outbox";
}
