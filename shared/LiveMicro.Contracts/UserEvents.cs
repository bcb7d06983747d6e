using LiveMicro.EventBus;

namespace LiveMicro.Contracts;

public sealed record UserRegistered(long UserId, string Username, string DisplayName) : IntegrationEvent;

public sealed record UserProfileChanged(long UserId, string DisplayName, string? AvatarUrl) : IntegrationEvent;

public sealed record UserFollowed(long FollowerId, long FolloweeId, long FolloweeFollowerCount) : IntegrationEvent;

public sealed record UserUnfollowed(long FollowerId, long FolloweeId, long FolloweeFollowerCount) : IntegrationEvent;
