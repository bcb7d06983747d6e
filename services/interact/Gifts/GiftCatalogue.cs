using LiveMicro.Interact.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.Interact.Gifts;

/// <summary>The gift catalogue, read from PostgreSQL at most once a minute: the migrations seed it and nothing in the
/// service changes it, while every gift sent needs its price.</summary>
public sealed class GiftCatalogue(IServiceScopeFactory scopes, TimeProvider time)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(1);
    private (IReadOnlyList<Gift> Gifts, DateTimeOffset Expires)? _cached;

    /// <summary>Cheapest first.</summary>
    public async Task<IReadOnlyList<Gift>> GetAllAsync(CancellationToken cancellationToken)
    {
        if (_cached is { } cached && cached.Expires > time.GetUtcNow()) return cached.Gifts;

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<InteractDbContext>();
        var gifts = await db.Gifts.AsNoTracking().OrderBy(g => g.Price).ThenBy(g => g.Id).ToListAsync(cancellationToken);
        _cached = (gifts, time.GetUtcNow() + CacheFor);
        return gifts;
    }

    public async Task<Gift?> FindAsync(long giftId, CancellationToken cancellationToken) =>
        (await GetAllAsync(cancellationToken)).FirstOrDefault(g => g.Id == giftId);
}
