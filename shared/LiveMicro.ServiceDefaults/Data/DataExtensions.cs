using LiveMicro.ServiceDefaults.Health;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace LiveMicro.ServiceDefaults.Data;

public static class DataExtensions
{
    /// <summary>Registers <typeparamref name="TContext"/> on the PostgreSQL database named by
    /// <c>ConnectionStrings:{connectionName}</c>, applies its migrations before the service listens, and makes
    /// readiness depend on it. A missing connection string stops the start.</summary>
    public static IHostApplicationBuilder AddPostgresDbContext<TContext>(this IHostApplicationBuilder builder,
        string connectionName) where TContext : DbContext
    {
        var connectionString = RequiredConnectionString(builder.Configuration, connectionName);
        builder.Services.AddDbContextPool<TContext>(options => options.UseNpgsql(connectionString));
        builder.Services.AddHostedService<MigrationHostedService<TContext>>();
        builder.Services.AddHealthChecks()
            .AddCheck<DbContextHealthCheck<TContext>>($"postgres:{connectionName}", tags: [HealthTags.Ready]);
        return builder;
    }

    /// <summary>One shared Redis multiplexer from <c>ConnectionStrings:Redis</c>; readiness depends on it.</summary>
    public static IHostApplicationBuilder AddRedis(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(RedisHealthCheck))) return builder;

        var configuration = ConfigurationOptions.Parse(RequiredConnectionString(builder.Configuration, "Redis"));
        // Start even while Redis is down: readiness says so and the multiplexer reconnects by itself.
        configuration.AbortOnConnectFail = false;
        builder.Services.TryAddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(configuration));
        builder.Services.AddSingleton<RedisHealthCheck>();
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [HealthTags.Ready]);
        return builder;
    }

    private static string RequiredConnectionString(IConfiguration configuration, string name) =>
        configuration.GetConnectionString(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"ConnectionStrings:{name} is not configured.");
}
