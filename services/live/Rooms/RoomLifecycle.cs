using System.Security.Cryptography;
using LiveMicro.Contracts;
using LiveMicro.EventBus.Outbox;
using LiveMicro.Live.Infrastructure;
using LiveMicro.Live.Presence;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.Live.Rooms;

/// <summary>Every change of a room's state, each with its events in the same transaction (outbox) and a push to
/// the room's sockets. Updates are conditional, so concurrent or repeated events cannot move a room backwards.</summary>
public sealed class RoomLifecycle(LiveDbContext db, RoomBroadcasts broadcasts, TimeProvider time)
{
    public static string NewStreamKey() => "live_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    public static string NewStreamName() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>Media started for the room: live, whatever session was publishing before.</summary>
    public Task GoLiveAsync(long roomId, string publisherId, CancellationToken cancellationToken) =>
        ChangeAsync(roomId, RoomStatuses.Live, cancellationToken, rooms => rooms.Where(r => r.Id == roomId && r.Status != RoomStatuses.Ended)
            .ExecuteUpdateAsync(set => set
                .SetProperty(r => r.Status, RoomStatuses.Live)
                .SetProperty(r => r.PublisherId, publisherId)
                .SetProperty(r => r.LiveSince, r => r.Status == RoomStatuses.Live ? r.LiveSince : time.GetUtcNow()), cancellationToken));

    /// <summary>Media stopped: offline, unless a newer publishing session has taken over meanwhile.</summary>
    public Task GoOfflineAsync(long roomId, string publisherId, CancellationToken cancellationToken) =>
        ChangeAsync(roomId, RoomStatuses.Offline, cancellationToken, rooms => rooms
            .Where(r => r.Id == roomId && r.Status == RoomStatuses.Live && r.PublisherId == publisherId)
            .ExecuteUpdateAsync(set => set
                .SetProperty(r => r.Status, RoomStatuses.Offline)
                .SetProperty(r => r.PublisherId, (string?)null)
                .SetProperty(r => r.LiveSince, (DateTimeOffset?)null), cancellationToken));

    /// <summary>The owner closes the room: its publisher is cut off and its sockets are closed.</summary>
    public Task EndAsync(long roomId, CancellationToken cancellationToken) =>
        ChangeAsync(roomId, RoomStatuses.Ended, cancellationToken, rooms => rooms
            .Where(r => r.Id == roomId && r.Status != RoomStatuses.Ended)
            .ExecuteUpdateAsync(set => set
                .SetProperty(r => r.Status, RoomStatuses.Ended)
                .SetProperty(r => r.PublisherId, (string?)null)
                .SetProperty(r => r.EndedAt, time.GetUtcNow()), cancellationToken),
            room => new PublishingRevoked(room.Id, room.StreamName, "room ended"));

    /// <summary>A new secret key; whoever publishes with the old one is cut off.</summary>
    public async Task<Room> RotateStreamKeyAsync(Room room, CancellationToken cancellationToken)
    {
        room.StreamKey = NewStreamKey();
        db.AddOutboxEvent(new PublishingRevoked(room.Id, room.StreamName, "stream key rotated"));
        await db.SaveChangesAsync(cancellationToken);
        return room;
    }

    private async Task ChangeAsync(long roomId, string status, CancellationToken cancellationToken,
        Func<IQueryable<Room>, Task<int>> update, Func<Room, LiveMicro.EventBus.IntegrationEvent>? alsoPublish = null)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // the row lock makes "was it already in that state?" and the update one step
        var before = await db.Database.SqlQuery<string>($"SELECT status AS \"Value\" FROM rooms WHERE id = {roomId} FOR UPDATE")
            .SingleOrDefaultAsync(cancellationToken);
        if (await update(db.Rooms) == 0) return;

        var room = await db.Rooms.AsNoTracking().SingleAsync(r => r.Id == roomId, cancellationToken);
        if (before != status) db.AddOutboxEvent(room.StatusChanged());
        if (alsoPublish is not null) db.AddOutboxEvent(alsoPublish(room));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (before != status) await broadcasts.StatusChangedAsync(roomId, status);
    }
}
