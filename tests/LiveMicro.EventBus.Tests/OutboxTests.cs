using LiveMicro.EventBus.Outbox;
using LiveMicro.EventBus.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace LiveMicro.EventBus.Tests;

[Collection(OutboxCollection.Name)]
public sealed class OutboxTests(OutboxFixture servers, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Consumer = "ranking";

    private readonly TestHosts _hosts = new(servers.Redis.Server.ConnectionString, output);
    private string _connectionString = null!;

    public async Task InitializeAsync()
    {
        _connectionString = await servers.Postgres.CreateDatabaseAsync("outbox");
        await using var dbContext = CreateDbContext();
        await dbContext.Database.EnsureCreatedAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Outbox_event_added_in_a_transaction_that_rolls_back_is_never_published()
    {
        var log = new HandlerLog();
        await using var consumer = await _hosts.StartConsumerAsync(Consumer, log);
        await using var relay = await StartRelayAsync("relay-a");

        var rolledBack = new ScriptedEvent("rolled back");
        await using (var dbContext = CreateDbContext())
        {
            await using var transaction = await dbContext.Database.BeginTransactionAsync();
            dbContext.Gifts.Add(new Gift { Id = rolledBack.Id, Label = rolledBack.Label });
            dbContext.AddOutboxEvent(rolledBack);
            await dbContext.SaveChangesAsync();
            await transaction.RollbackAsync();
        }

        var committed = new ScriptedEvent("committed");
        await using (var dbContext = CreateDbContext())
        {
            dbContext.Gifts.Add(new Gift { Id = committed.Id, Label = committed.Label });
            dbContext.AddOutboxEvent(committed);
            await dbContext.SaveChangesAsync();
        }

        await Eventually.TrueAsync(() => log.Handled.Count == 1, "the committed event was handled");
        await Task.Delay(Eventually.Settle);
        Assert.Equal([committed], log.Handled);
        var published = Assert.Single(await servers.Redis.Raw.EntriesAsync(_hosts.Stream));
        Assert.Equal(committed.Id.ToString(), published["id"]);
        await using var check = CreateDbContext();
        Assert.Equal([committed.Id], await check.OutboxMessages.Select(m => m.Id).ToListAsync());
    }

    [Fact]
    public async Task Committed_outbox_events_are_published_once_each_even_with_two_relays_on_the_database()
    {
        var log = new HandlerLog();
        await using var consumer = await _hosts.StartConsumerAsync(Consumer, log);
        // Small batches, so that both relays take rows of the same backlog at the same time.
        var smallBatches = new Dictionary<string, string?> { ["EventBus:Outbox:BatchSize"] = "5" };
        await using var relayA = await StartRelayAsync("relay-a", smallBatches);
        await using var relayB = await StartRelayAsync("relay-b", smallBatches);

        var inOneTransaction = Enumerable.Range(1, 60).Select(i => new ScriptedEvent($"gift {i}")).ToList();
        await using (var dbContext = CreateDbContext())
        {
            await using var transaction = await dbContext.Database.BeginTransactionAsync();
            foreach (var @event in inOneTransaction)
            {
                dbContext.Gifts.Add(new Gift { Id = @event.Id, Label = @event.Label });
                dbContext.AddOutboxEvent(@event);
            }

            await dbContext.SaveChangesAsync();
            await transaction.CommitAsync();
        }

        var oneByOne = Enumerable.Range(1, 20).Select(i => new ScriptedEvent($"single {i}")).ToList();
        await Task.WhenAll(oneByOne.Select(async @event =>
        {
            await using var dbContext = CreateDbContext();
            dbContext.AddOutboxEvent(@event);
            await dbContext.SaveChangesAsync();
        }));

        List<ScriptedEvent> all = [.. inOneTransaction, .. oneByOne];
        await Eventually.TrueAsync(() => log.Handled.Count == all.Count, "every committed event was handled");
        await Task.Delay(Eventually.Settle);
        Assert.Equal(all.Select(e => e.Id).Order(), log.Handled.Select(e => e.Id).Order());
        // The consumer would hide a double publish by skipping the duplicate; the stream shows it.
        Assert.Equal(all.Count, await servers.Redis.Raw.StreamLengthAsync(_hosts.Stream));
        await using var check = CreateDbContext();
        Assert.Equal(0, await check.OutboxMessages.CountAsync(m => m.PublishedAt == null));
    }

    [Fact]
    public async Task Published_outbox_rows_are_deleted_after_the_retention_period()
    {
        var log = new HandlerLog();
        await using var consumer = await _hosts.StartConsumerAsync(Consumer, log);
        await using var relay = await StartRelayAsync("relay-a", new Dictionary<string, string?>
        {
            ["EventBus:Outbox:PublishedRetention"] = "00:00:00.300",
            ["EventBus:Outbox:CleanupInterval"] = "00:00:00.100",
        });

        var gift = new ScriptedEvent("gift");
        await using (var dbContext = CreateDbContext())
        {
            dbContext.AddOutboxEvent(gift);
            await dbContext.SaveChangesAsync();
        }

        await Eventually.TrueAsync(() => log.Handled.Count == 1, "the event was handled");
        await Eventually.TrueAsync(async () =>
        {
            await using var dbContext = CreateDbContext();
            return !await dbContext.OutboxMessages.AnyAsync();
        }, "the published row was deleted");
        Assert.Equal([gift], log.Handled);
    }

    private GiftsDbContext CreateDbContext() =>
        new(new DbContextOptionsBuilder<GiftsDbContext>().UseNpgsql(_connectionString).Options);

    private Task<RunningHost> StartRelayAsync(string name, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = _hosts.CreateBuilder(name, settings);
        builder.Services.AddDbContext<GiftsDbContext>(options => options.UseNpgsql(_connectionString));
        builder.AddRedisEventBus().AddOutboxRelay<GiftsDbContext>();
        return RunningHost.StartAsync(builder);
    }
}
