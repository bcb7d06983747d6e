using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LiveMicro.EventBus.Outbox;

/// <summary>Publishes the committed rows of <typeparamref name="TDbContext"/>'s outbox. Each batch is selected
/// <c>FOR UPDATE SKIP LOCKED</c> and marked published in the same transaction, so relays of several instances
/// share the rows instead of publishing them twice. A relay that dies after publishing but before committing leaves
/// its rows to be published again; consumers skip the duplicates by event id.</summary>
internal sealed partial class OutboxRelayService<TDbContext>(
    IServiceScopeFactory scopeFactory,
    RedisEventBus eventBus,
    IOptions<OutboxOptions> options,
    ILogger<OutboxRelayService<TDbContext>> logger) : BackgroundService
    where TDbContext : DbContext
{
    private readonly OutboxOptions _options = options.Value;
    private string? _selectUnpublishedSql;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long? lastCleanup = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var saved = OutboxRelaySignal.Saved.Next;
            try
            {
                int relayed;
                do
                {
                    relayed = await RelayBatchAsync(stoppingToken);
                }
                while (relayed == _options.BatchSize);

                if (lastCleanup is not { } last || Stopwatch.GetElapsedTime(last) >= _options.CleanupInterval)
                {
                    await DeletePublishedAsync(stoppingToken);
                    lastCleanup = Stopwatch.GetTimestamp();
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogRelayFailed(logger, e, typeof(TDbContext).Name, _options.PollInterval);
            }

            await WakeSignal.WaitAsync(saved, _options.PollInterval, stoppingToken);
        }
    }

    /// <summary>Publishes one batch of unpublished rows; answers how many it published.</summary>
    private async Task<int> RelayBatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var dbContext = scope.ServiceProvider.GetRequiredService<TDbContext>();
        _selectUnpublishedSql ??= SelectUnpublishedSql(dbContext);

        // A user transaction has to run inside the execution strategy when the context retries on failure.
        return await dbContext.Database.CreateExecutionStrategy().ExecuteAsync(async cancellation =>
        {
            await using var transaction = await dbContext.Database.BeginTransactionAsync(cancellation);
            var messages = await dbContext.Set<OutboxMessage>()
                .FromSqlRaw(_selectUnpublishedSql, _options.BatchSize)
                .AsNoTracking()
                .ToListAsync(cancellation);

            List<Guid> published = [];
            try
            {
                foreach (var message in messages)
                {
                    await eventBus.PublishSerializedAsync(message.Id, message.EventTypeName, message.Payload, cancellation);
                    published.Add(message.Id);
                    LogRelayed(logger, message.EventTypeName, message.Id);
                }
            }
            finally
            {
                // Whatever reached Redis is marked, even when a later publish failed or the host is stopping, so
                // that it is not published again.
                if (published.Count > 0)
                {
                    DateTimeOffset? publishedAt = DateTimeOffset.UtcNow;
                    await dbContext.Set<OutboxMessage>()
                        .Where(message => published.Contains(message.Id))
                        .ExecuteUpdateAsync(setters => setters.SetProperty(message => message.PublishedAt, publishedAt),
                            CancellationToken.None);
                    await transaction.CommitAsync(CancellationToken.None);
                }
            }

            return published.Count;
        }, cancellationToken);
    }

    private async Task DeletePublishedAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var dbContext = scope.ServiceProvider.GetRequiredService<TDbContext>();
        DateTimeOffset? cutoff = DateTimeOffset.UtcNow - _options.PublishedRetention;
        var deleted = await dbContext.Set<OutboxMessage>()
            .Where(message => message.PublishedAt < cutoff)
            .ExecuteDeleteAsync(cancellationToken);
        if (deleted > 0) LogDeleted(logger, deleted, typeof(TDbContext).Name, _options.PublishedRetention);
    }

    private static string SelectUnpublishedSql(TDbContext dbContext)
    {
        var entityType = dbContext.Model.FindEntityType(typeof(OutboxMessage))
            ?? throw new InvalidOperationException(
                $"{typeof(TDbContext).Name} has no outbox; call modelBuilder.AddOutbox() in its OnModelCreating.");
        var table = dbContext.GetService<ISqlGenerationHelper>()
            .DelimitIdentifier(entityType.GetTableName()!, entityType.GetSchema());
        return $"SELECT * FROM {table} WHERE published_at IS NULL ORDER BY occurred_at LIMIT {{0}} FOR UPDATE SKIP LOCKED";
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Relayed {EventType} {EventId} from the outbox")]
    private static partial void LogRelayed(ILogger logger, string eventType, Guid eventId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Relaying the outbox of {DbContext} failed; trying again in {PollInterval}")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception, string dbContext, TimeSpan pollInterval);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Deleted {Count} outbox rows of {DbContext} published more than {Retention} ago")]
    private static partial void LogDeleted(ILogger logger, int count, string dbContext, TimeSpan retention);
}
