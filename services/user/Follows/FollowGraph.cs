using LiveMicro.Contracts;
using LiveMicro.EventBus;
using LiveMicro.EventBus.Outbox;
using LiveMicro.User.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.User.Follows;

public enum FollowOutcome
{
    Changed,
    AlreadyInThatState,
    UnknownUser,
}

public sealed record FollowResult(FollowOutcome Outcome, long FolloweeFollowerCount = 0);

/// <summary>Who follows whom, with the counts kept exact: the edge and both counters change in one
/// transaction, and only when the edge really changed, so repeated or concurrent requests cannot drift them.</summary>
public sealed class FollowGraph(UserDbContext db, TimeProvider time)
{
    public Task<FollowResult> FollowAsync(long followerId, long followeeId, CancellationToken cancellationToken) =>
        ChangeAsync(followerId, followeeId, follow: true, cancellationToken);

    public Task<FollowResult> UnfollowAsync(long followerId, long followeeId, CancellationToken cancellationToken) =>
        ChangeAsync(followerId, followeeId, follow: false, cancellationToken);

    private async Task<FollowResult> ChangeAsync(long followerId, long followeeId, bool follow, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // Both profile rows are locked in id order, so "A follows B" racing "B follows A" cannot deadlock.
        var locked = await db.Database.SqlQuery<long>($"""
            SELECT id AS "Value" FROM user_profiles WHERE id IN ({followerId}, {followeeId}) ORDER BY id FOR UPDATE
            """).ToListAsync(cancellationToken);
        if (!locked.Contains(followeeId)) return new FollowResult(FollowOutcome.UnknownUser);

        var changed = follow
            ? await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO follows (follower_id, followee_id, created_at) VALUES ({followerId}, {followeeId}, {time.GetUtcNow()})
                ON CONFLICT (follower_id, followee_id) DO NOTHING
                """, cancellationToken)
            : await db.Database.ExecuteSqlInterpolatedAsync($"""
                DELETE FROM follows WHERE follower_id = {followerId} AND followee_id = {followeeId}
                """, cancellationToken);

        if (changed == 0)
        {
            var current = await db.Profiles.Where(p => p.Id == followeeId).Select(p => p.FollowerCount).SingleAsync(cancellationToken);
            return new FollowResult(FollowOutcome.AlreadyInThatState, current);
        }

        var delta = follow ? 1 : -1;
        var followerCount = await db.Database.SqlQuery<long>($"""
            UPDATE user_profiles SET follower_count = follower_count + {delta} WHERE id = {followeeId} RETURNING follower_count AS "Value"
            """).ToListAsync(cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            UPDATE user_profiles SET following_count = following_count + {delta} WHERE id = {followerId}
            """, cancellationToken);

        IntegrationEvent @event = follow
            ? new UserFollowed(followerId, followeeId, followerCount[0])
            : new UserUnfollowed(followerId, followeeId, followerCount[0]);
        db.AddOutboxEvent(@event);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new FollowResult(FollowOutcome.Changed, followerCount[0]);
    }
}
