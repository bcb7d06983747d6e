using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LiveMicro.ServiceDefaults.Data;

/// <summary>Applies the service's SQL migrations at start-up, before the server listens, so no request sees an
/// old schema.</summary>
internal sealed partial class MigrationHostedService<TContext>(IServiceProvider services, ILogger<MigrationHostedService<TContext>> logger)
    : IHostedService where TContext : DbContext
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var connectionString = scope.ServiceProvider.GetRequiredService<TContext>().Database.GetConnectionString()!;
        var applied = await SqlMigrations.ApplyAsync(connectionString, typeof(TContext).Assembly, cancellationToken);
        LogMigrated(logger, typeof(TContext).Name, applied.Count, string.Join(", ", applied));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Information, "{Context}: applied {Count} migrations {Versions}")]
    private static partial void LogMigrated(ILogger logger, string context, int count, string versions);
}
