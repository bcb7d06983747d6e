using System.Collections.Concurrent;
using LiveMicro.Interact.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.Interact.Rooms;

/// <summary>Reads the room replica for the chat, which opens sockets in bursts: each room is read from
/// PostgreSQL at most once per second, and a socket does not hold a DbContext for its lifetime.</summary>
public sealed class RoomDirectory(IServiceScopeFactory scopes, TimeProvider time)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<long, (Room? Room, DateTimeOffset Expires)> _cache = new();

    public async Task<Room?> FindAsync(long roomId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(roomId, out var cached) && cached.Expires > now) return cached.Room;

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<InteractDbContext>();
        var room = await db.Rooms.AsNoTracking().SingleOrDefaultAsync(r => r.Id == roomId, cancellationToken);
        _cache[roomId] = (room, now + CacheFor);
        return room;
    }

    /// <summary>Called when the room changed here, so this instance does not answer from a stale copy.</summary>
    public void Forget(long roomId) => _cache.TryRemove(roomId, out _);
}
