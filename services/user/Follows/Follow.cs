namespace LiveMicro.User.Follows;

public sealed class Follow
{
    /// <summary>Increasing with time: the keyset cursor for follower and following lists (newest first).</summary>
    public long Id { get; set; }

    public long FollowerId { get; set; }

    public long FolloweeId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
