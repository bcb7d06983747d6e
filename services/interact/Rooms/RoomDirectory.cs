using System.Collections.Concurrent;
using LiveMicro.Interact.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.Interact.Rooms;

/// <summary>Reads the room replica for the chat, which opens sockets in bursts: each room is read from PostgreSQL at
/// most once per second, a burst of joins to a room not in the cache waits for one query instead of each running its
/// own (and each holding a pooled connection), and a socket does not hold a DbContext for its lifetime.</summary>
public sealed class RoomDirectory(IServiceScopeFactory scopes, TimeProvider time)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<long, (Room? Room, DateTimeOffset Expires)> _cache = new();
    private readonly ConcurrentDictionary<long, Lazy<Task<Room?>>> _reading = new();

    public async Task<Room?> FindAsync(long roomId, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(roomId, out var cached) && cached.Expires > time.GetUtcNow()) return cached.Room;

        var reading = _reading.GetOrAdd(roomId, id => new Lazy<Task<Room?>>(() => ReadAsync(id)));
        return await reading.Value.WaitAsync(cancellationToken);
    }

    /// <summary>Called when the room changed here, so this instance does not answer from a stale copy.</summary>
    public void Forget(long roomId) => _cache.TryRemove(roomId, out _);

    /// <summary>Not cancelled by any one caller: others may be waiting for the same answer.</summary>
    private async Task<Room?> ReadAsync(long roomId)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<InteractDbContext>();
            var room = await db.Rooms.AsNoTracking().SingleOrDefaultAsync(r => r.Id == roomId);
            _cache[roomId] = (room, time.GetUtcNow() + CacheFor);
            return room;
        }
        finally
        {
            _reading.TryRemove(roomId, out _);
        }
    }
}
