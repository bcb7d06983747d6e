using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LiveMicro.EventBus.Outbox;

public static class OutboxEventBusBuilderExtensions
{
    /// <summary>Runs a relay that publishes what <see cref="OutboxDbContextExtensions.AddOutboxEvent"/> saved in
    /// <typeparamref name="TDbContext"/> (whose model must call <see cref="OutboxModelBuilderExtensions.AddOutbox"/>),
    /// configured by the <c>EventBus:Outbox</c> section (<see cref="OutboxOptions"/>). The row locking is
    /// PostgreSQL's <c>FOR UPDATE SKIP LOCKED</c>.</summary>
    public static IEventBusBuilder AddOutboxRelay<TDbContext>(this IEventBusBuilder eventBus) where TDbContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(eventBus);

        eventBus.Services.AddOptions<OutboxOptions>()
            .BindConfiguration(OutboxOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        eventBus.Services.AddHostedService<OutboxRelayService<TDbContext>>();
        return eventBus;
    }
}
