using System.ComponentModel.DataAnnotations;

namespace LiveMicro.Rank.Configuration;

/// <summary>Section <c>Rank</c>: where the boards live in Redis and how much of them is kept and shown.</summary>
public sealed class RankOptions
{
    public const string SectionName = "Rank";

    [Required]
    public string KeyPrefix { get; set; } = "rank:";

    /// <summary>How long a day's board is kept after the day, so yesterday's stays readable.</summary>
    [Range(1, 366)]
    public int DailyBoardRetentionDays { get; set; } = 8;

    /// <summary>How long a gift's id is remembered so that a redelivered GiftSent is not counted twice.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan AppliedGiftRetention { get; set; } = TimeSpan.FromDays(8);

    /// <summary>How long a broadcast's gifters board is kept after its last gift.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "366.00:00:00")]
    public TimeSpan BroadcastBoardRetention { get; set; } = TimeSpan.FromDays(8);

    /// <summary>How many of a room's latest broadcasts keep their boards.</summary>
    [Range(1, 1000)]
    public int BroadcastsKept { get; set; } = 8;

    /// <summary>How late a room's going live may be handled after its first gifts (they come on separate streams)
    /// and still take them over from the broadcast before; a room's gifts are logged this long.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan LateBroadcastStartWindow { get; set; } = TimeSpan.FromHours(1);

    [Range(1, 1000)]
    public int DefaultTop { get; set; } = 10;

    [Range(1, 1000)]
    public int MaxTop { get; set; } = 100;

    /// <summary>A watched board that changed is pushed at most this often, with every change meanwhile in it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PushInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A board WebSocket is pinged this often; one that misses two pongs is closed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:05:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);
}
