using Microsoft.EntityFrameworkCore;

namespace LiveMicro.EventBus.Outbox;

public static class OutboxModelBuilderExtensions
{
    /// <summary>Maps <see cref="OutboxMessage"/> to the table <c>outbox_messages</c> (columns <c>id</c>,
    /// <c>event_type</c>, <c>payload</c>, <c>occurred_at</c>, <c>published_at</c>). Call it from
    /// <c>OnModelCreating</c> of each DbContext that adds outbox events, and add a migration.</summary>
    public static ModelBuilder AddOutbox(this ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);

        modelBuilder.Entity<OutboxMessage>(message =>
        {
            message.ToTable("outbox_messages");
            message.HasKey(m => m.Id).HasName("pk_outbox_messages");
            message.Property(m => m.Id).HasColumnName("id").ValueGeneratedNever();
            message.Property(m => m.EventTypeName).HasColumnName("event_type").HasMaxLength(256);
            message.Property(m => m.Payload).HasColumnName("payload");
            message.Property(m => m.OccurredAt).HasColumnName("occurred_at");
            message.Property(m => m.PublishedAt).HasColumnName("published_at");
            // Serves both the relay (published_at IS NULL, oldest first) and the clean-up (published_at < cut-off).
            message.HasIndex(m => new { m.PublishedAt, m.OccurredAt })
                .HasDatabaseName("ix_outbox_messages_published_at_occurred_at");
        });
        return modelBuilder;
    }
}
