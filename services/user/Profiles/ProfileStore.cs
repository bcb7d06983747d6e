using LiveMicro.User.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.User.Profiles;

public sealed class ProfileStore(UserDbContext db, TimeProvider time)
{
    /// <summary>Creates the profile unless it exists. Both the UserRegistered event and a first request with a
    /// fresh token may get here first; whichever is second changes nothing.</summary>
    public Task EnsureAsync(long id, string username, string displayName, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO user_profiles (id, username, display_name, bio, follower_count, following_count, created_at, updated_at)
            VALUES ({id}, {username}, {displayName}, '', 0, 0, {now}, {now})
            ON CONFLICT (id) DO NOTHING
            """, cancellationToken);
    }
}
