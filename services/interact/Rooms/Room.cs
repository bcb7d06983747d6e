namespace LiveMicro.Interact.Rooms;

/// <summary>Interact's replica of a room, kept from the live service's RoomStatusChanged events: enough to know
/// whose room it is (gift revenue, moderation, lotteries) and whether it has ended.</summary>
public sealed class Room
{
    public long Id { get; set; }

    public long AnchorId { get; set; }

    public required string AnchorName { get; set; }

    public required string Title { get; set; }

    public required string Status { get; set; }

    public DateTimeOffset StatusChangedAt { get; set; }
}
