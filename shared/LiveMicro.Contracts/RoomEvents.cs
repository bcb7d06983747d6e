using LiveMicro.EventBus;

namespace LiveMicro.Contracts;

public static class RoomStatuses
{
    /// <summary>Created, no media flowing.</summary>
    public const string Offline = "offline";

    /// <summary>Media is flowing.</summary>
    public const string Live = "live";

    /// <summary>Closed by its owner; no longer accepts a publisher.</summary>
    public const string Ended = "ended";
}

public sealed record RoomStatusChanged(long RoomId, long AnchorId, string AnchorName, string Title, string Status)
    : IntegrationEvent;

public sealed record ViewerCountChanged(long RoomId, long AnchorId, long ViewerCount) : IntegrationEvent;
