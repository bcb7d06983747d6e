using LiveMicro.Contracts;
using LiveMicro.EventBus;
using LiveMicro.Interact.Chat;
using LiveMicro.Interact.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.Interact.Rooms;

/// <summary>Keeps the room replica from the live service's events and tells the room's chat when it goes live,
/// offline or ends. A late event older than the stored status changes nothing.</summary>
public sealed class RoomStatusChangedHandler(InteractDbContext db, ChatPublisher chat, RoomDirectory rooms)
    : IIntegrationEventHandler<RoomStatusChanged>
{
    public async Task HandleAsync(RoomStatusChanged @event, CancellationToken cancellationToken)
    {
        var at = @event.OccurredAt.ToUniversalTime();
        var previous = await db.Rooms.AsNoTracking().Where(r => r.Id == @event.RoomId).Select(r => r.Status)
            .SingleOrDefaultAsync(cancellationToken);
        var changed = await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO rooms (id, anchor_id, anchor_name, title, status, status_changed_at)
            VALUES ({@event.RoomId}, {@event.AnchorId}, {@event.AnchorName}, {@event.Title}, {@event.Status}, {at})
            ON CONFLICT (id) DO UPDATE SET anchor_id = excluded.anchor_id, anchor_name = excluded.anchor_name,
                title = excluded.title, status = excluded.status, status_changed_at = excluded.status_changed_at
            WHERE rooms.status_changed_at <= excluded.status_changed_at
            """, cancellationToken);
        rooms.Forget(@event.RoomId);
        if (changed == 0 || previous is null || previous == @event.Status) return;

        await chat.PublishToRoomAsync(@event.RoomId,
            new RoomStatusMessage(@event.RoomId, @event.Status, @event.Title, @event.AnchorName));
    }
}
