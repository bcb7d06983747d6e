using LiveMicro.EventBus.Outbox;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.EventBus.Tests.Infrastructure;

/// <summary>A service's own data with the outbox beside it, so that a test can commit or roll back both together.</summary>
public sealed class GiftsDbContext(DbContextOptions<GiftsDbContext> options) : DbContext(options)
{
    public DbSet<Gift> Gifts => Set<Gift>();

    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Gift>(gift =>
        {
            gift.ToTable("gifts");
            gift.Property(g => g.Id).HasColumnName("id");
            gift.Property(g => g.Label).HasColumnName("label");
        });
        modelBuilder.AddOutbox();
    }
}

public sealed class Gift
{
    public Guid Id { get; init; }

    public required string Label { get; init; }
}
