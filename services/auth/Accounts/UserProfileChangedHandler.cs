using LiveMicro.Auth.Infrastructure;
using LiveMicro.Contracts;
using LiveMicro.EventBus;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.Auth.Accounts;

/// <summary>Keeps the account's display name in step with the profile, so the next access token (login or
/// refresh) carries the name the user chose, which chat shows as "name entered".</summary>
public sealed class UserProfileChangedHandler(AuthDbContext db) : IIntegrationEventHandler<UserProfileChanged>
{
    public Task HandleAsync(UserProfileChanged @event, CancellationToken cancellationToken) =>
        db.Accounts.Where(a => a.Id == @event.UserId)
            .ExecuteUpdateAsync(set => set.SetProperty(a => a.DisplayName, @event.DisplayName), cancellationToken);
}
