namespace LiveMicro.User.Profiles;

public sealed class UserProfile
{
    /// <summary>The account id the auth service assigned.</summary>
    public long Id { get; set; }

    public required string Username { get; set; }

    public required string DisplayName { get; set; }

    public string Bio { get; set; } = "";

    public string? AvatarUrl { get; set; }

    /// <summary>Kept in step with the follows table inside the same transaction, so reads need no COUNT(*).</summary>
    public long FollowerCount { get; set; }

    public long FollowingCount { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
