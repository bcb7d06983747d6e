using LiveMicro.EventBus.Outbox;
using LiveMicro.Interact.Gifts;
using LiveMicro.Interact.Lotteries;
using LiveMicro.Interact.Rooms;
using LiveMicro.Interact.Wallets;
using LiveMicro.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.Interact.Infrastructure;

public sealed class InteractDbContext(DbContextOptions<InteractDbContext> options) : DbContext(options)
{
    public DbSet<Room> Rooms => Set<Room>();

    public DbSet<Gift> Gifts => Set<Gift>();

    public DbSet<Wallet> Wallets => Set<Wallet>();

    public DbSet<GiftTransaction> GiftTransactions => Set<GiftTransaction>();

    public DbSet<LedgerEntry> LedgerEntries => Set<LedgerEntry>();

    public DbSet<TopUp> TopUps => Set<TopUp>();

    public DbSet<Lottery> Lotteries => Set<Lottery>();

    public DbSet<LotteryEntry> LotteryEntries => Set<LotteryEntry>();

    // The schema itself is Infrastructure/Migrations/*.sql; this only maps it.
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Room>(room =>
        {
            room.ToTable("rooms");
            room.Property(r => r.Id).ValueGeneratedNever();
        });
        modelBuilder.Entity<Gift>(gift =>
        {
            gift.ToTable("gifts");
            gift.Property(g => g.Id).ValueGeneratedNever();
        });
        modelBuilder.Entity<Wallet>(wallet =>
        {
            wallet.ToTable("wallets");
            wallet.HasKey(w => w.UserId);
            wallet.Property(w => w.UserId).ValueGeneratedNever();
        });
        modelBuilder.Entity<GiftTransaction>(transaction =>
        {
            transaction.ToTable("gift_transactions");
            transaction.Property(t => t.Id).UseIdentityAlwaysColumn();
        });
        modelBuilder.Entity<LedgerEntry>(entry =>
        {
            entry.ToTable("ledger_entries");
            entry.Property(e => e.Id).UseIdentityAlwaysColumn();
        });
        modelBuilder.Entity<TopUp>(topUp =>
        {
            topUp.ToTable("top_ups");
            topUp.Property(t => t.Id).UseIdentityAlwaysColumn();
        });
        modelBuilder.Entity<Lottery>(lottery =>
        {
            lottery.ToTable("lotteries");
            lottery.Property(l => l.Id).UseIdentityAlwaysColumn();
        });
        modelBuilder.Entity<LotteryEntry>(entry =>
        {
            entry.ToTable("lottery_entries");
            entry.HasKey(e => new { e.LotteryId, e.UserId });
        });
        modelBuilder.AddOutbox();
        modelBuilder.UseSnakeCaseNames();
    }
}
