using LiveMicro.EventBus.Outbox;
using LiveMicro.Live.Rooms;
using LiveMicro.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.Live.Infrastructure;

public sealed class LiveDbContext(DbContextOptions<LiveDbContext> options) : DbContext(options)
{
    public DbSet<Room> Rooms => Set<Room>();

    // The schema itself is Infrastructure/Migrations/*.sql; this only maps it.
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Room>().Property(r => r.Id).UseIdentityAlwaysColumn();
        modelBuilder.AddOutbox();
        modelBuilder.UseSnakeCaseNames();
    }
}
