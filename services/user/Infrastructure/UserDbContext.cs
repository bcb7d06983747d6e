using LiveMicro.EventBus.Outbox;
using LiveMicro.ServiceDefaults.Data;
using LiveMicro.User.Follows;
using LiveMicro.User.Profiles;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.User.Infrastructure;

public sealed class UserDbContext(DbContextOptions<UserDbContext> options) : DbContext(options)
{
    public DbSet<UserProfile> Profiles => Set<UserProfile>();

    public DbSet<Follow> Follows => Set<Follow>();

    // The schema itself is Infrastructure/Migrations/*.sql; this only maps it.
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<UserProfile>(profile =>
        {
            profile.ToTable("user_profiles");
            profile.Property(p => p.Id).ValueGeneratedNever();
        });
        modelBuilder.Entity<Follow>().Property(f => f.Id).UseIdentityAlwaysColumn();
        modelBuilder.AddOutbox();
        modelBuilder.UseSnakeCaseNames();
    }
}
