namespace LiveMicro.Interact.Lotteries;

public static class LotteryJoinModes
{
    /// <summary>Viewers press a button (<c>POST /api/lotteries/{id}/entries</c>).</summary>
    public const string Button = "button";

    /// <summary>Viewers type the keyword as a danmaku in the room.</summary>
    public const string Keyword = "keyword";
}

public static class LotteryStatuses
{
    public const string Open = "open";
    public const string Drawn = "drawn";
}

public sealed class Lottery
{
    public long Id { get; set; }

    public long RoomId { get; set; }

    public long OwnerId { get; set; }

    public required string Prize { get; set; }

    public int WinnerCount { get; set; }

    public required string JoinMode { get; set; }

    public string? Keyword { get; set; }

    public bool FollowersOnly { get; set; }

    public DateTimeOffset ClosesAt { get; set; }

    public required string Status { get; set; }

    public DateTimeOffset? DrawnAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class LotteryEntry
{
    public long LotteryId { get; set; }

    public long UserId { get; set; }

    public required string UserName { get; set; }

    public DateTimeOffset JoinedAt { get; set; }

    public bool Won { get; set; }
}

/// <summary>Section <c>Lotteries</c>.</summary>
public sealed class LotteryOptions
{
    public const string SectionName = "Lotteries";

    /// <summary>How often each instance looks for lotteries whose closing time has come.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan DrawInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The latest closing time a lottery may have, from its creation.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The user service, which knows who follows whom (<c>GET /api/users/{id}</c> answers followedByMe).</summary>
    [System.ComponentModel.DataAnnotations.Required, LiveMicro.ServiceDefaults.Validation.HttpUrl]
    public string UserServiceUrl { get; set; } = "http://localhost:5002";
}
