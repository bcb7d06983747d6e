using LiveMicro.Contracts;

namespace LiveMicro.Live.Rooms;

public sealed class Room
{
    public long Id { get; set; }

    public long AnchorId { get; set; }

    public required string AnchorName { get; set; }

    public required string Title { get; set; }

    public required string Category { get; set; }

    public string? CoverUrl { get; set; }

    /// <summary>Public: what players play. Never the key.</summary>
    public required string StreamName { get; set; }

    /// <summary>Secret: what the anchor publishes with; shown only to the owner.</summary>
    public required string StreamKey { get; set; }

    /// <summary>One of <see cref="RoomStatuses"/>; live only while media flows (set from the media server's events).</summary>
    public string Status { get; set; } = RoomStatuses.Offline;

    /// <summary>The publishing session that made the room live, so a stale "unpublished" cannot end a newer one.</summary>
    public string? PublisherId { get; set; }

    /// <summary>A copy of the Redis count, refreshed a few times a second, for sorting room lists.</summary>
    public long ViewerCount { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LiveSince { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public RoomStatusChanged StatusChanged() => new(Id, AnchorId, AnchorName, Title, Status);
}
