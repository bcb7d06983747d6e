using LiveMicro.Auth.Accounts;
using LiveMicro.Auth.Tokens;
using LiveMicro.EventBus.Outbox;
using LiveMicro.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.Auth.Infrastructure;

public sealed class AuthDbContext(DbContextOptions<AuthDbContext> options) : DbContext(options)
{
    public DbSet<Account> Accounts => Set<Account>();

    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();

    public DbSet<SigningKey> SigningKeys => Set<SigningKey>();

    // The schema itself is Infrastructure/Migrations/*.sql; this only maps it.
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Account>(account =>
        {
            account.Property(a => a.Id).UseIdentityAlwaysColumn();
        });
        modelBuilder.Entity<RefreshToken>(token =>
        {
            token.Property(t => t.Id).UseIdentityAlwaysColumn();
        });
        modelBuilder.Entity<SigningKey>().HasKey(k => k.KeyId);
        modelBuilder.AddOutbox();
        modelBuilder.UseSnakeCaseNames();
    }
}
