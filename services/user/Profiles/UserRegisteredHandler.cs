using LiveMicro.Contracts;
using LiveMicro.EventBus;

namespace LiveMicro.User.Profiles;

public sealed class UserRegisteredHandler(ProfileStore profiles) : IIntegrationEventHandler<UserRegistered>
{
    public Task HandleAsync(UserRegistered @event, CancellationToken cancellationToken) =>
        profiles.EnsureAsync(@event.UserId, @event.Username, @event.DisplayName, cancellationToken);
}
