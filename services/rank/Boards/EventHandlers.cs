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
