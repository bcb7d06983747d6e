using LiveMicro.Contracts;
using LiveMicro.EventBus;

namespace LiveMicro.Rank.Boards;

public sealed class GiftSentHandler(Leaderboards boards) : IIntegrationEventHandler<GiftSent>
{
    public Task HandleAsync(GiftSent @event, CancellationToken cancellationToken) => boards.AddGiftAsync(@event);
}

/// <summary>Anchors appear on the boards by name, though a gift only carries its sender's.</summary>
public sealed class UserRegisteredHandler(Leaderboards boards) : IIntegrationEventHandler<UserRegistered>
{
    public Task HandleAsync(UserRegistered @event, CancellationToken cancellationToken) =>
        boards.SetNameAsync(@event.UserId, @event.DisplayName);
}

public sealed class UserProfileChangedHandler(Leaderboards boards) : IIntegrationEventHandler<UserProfileChanged>
{
    public Task HandleAsync(UserProfileChanged @event, CancellationToken cancellationToken) =>
        boards.SetNameAsync(@event.UserId, @event.DisplayName);
}

public sealed class UserFollowedHandler(Leaderboards boards) : IIntegrationEventHandler<UserFollowed>
{
    public Task HandleAsync(UserFollowed @event, CancellationToken cancellationToken) =>
        boards.SetFollowersAsync(@event.FolloweeId, @event.FolloweeFollowerCount, @event.OccurredAt);
}

public sealed class UserUnfollowedHandler(Leaderboards boards) : IIntegrationEventHandler<UserUnfollowed>
{
    public Task HandleAsync(UserUnfollowed @event, CancellationToken cancellationToken) =>
        boards.SetFollowersAsync(@event.FolloweeId, @event.FolloweeFollowerCount, @event.OccurredAt);
}

/// <summary>A room going live starts a broadcast (a gifters board of its own) and puts its anchor on the viewers board
/// (once it has viewers); offline or ended takes the anchor off. The anchor's name comes with it.</summary>
public sealed class RoomStatusChangedHandler(Leaderboards boards) : IIntegrationEventHandler<RoomStatusChanged>
{
    public async Task HandleAsync(RoomStatusChanged @event, CancellationToken cancellationToken)
    {
        await boards.SetNameAsync(@event.AnchorId, @event.AnchorName);
        await boards.SetViewersAsync(@event.AnchorId, @event.Status, 0, @event.OccurredAt);
        // the live service announces a status only when it changes, so each "live" is a new broadcast
        if (@event.Status == RoomStatuses.Live) await boards.StartBroadcastAsync(@event.RoomId, @event.OccurredAt);
    }
}

public sealed class ViewerCountChangedHandler(Leaderboards boards) : IIntegrationEventHandler<ViewerCountChanged>
{
    public Task HandleAsync(ViewerCountChanged @event, CancellationToken cancellationToken) =>
        boards.SetViewersAsync(@event.AnchorId, null, @event.ViewerCount, @event.OccurredAt);
}
