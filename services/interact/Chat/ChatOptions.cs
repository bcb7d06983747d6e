using System.ComponentModel.DataAnnotations;

namespace LiveMicro.Interact.Chat;

/// <summary>Section <c>Chat</c>: the room chat WebSocket.</summary>
public sealed class ChatOptions
{
    public const string SectionName = "Chat";

    /// <summary>This process among the interact instances: prefixes its connection ids and owns its presence
    /// entries in Redis. Random per process unless set.</summary>
    [Required, RegularExpression("^[A-Za-z0-9_-]{1,40}$")]
    public string InstanceId { get; set; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>The server pings every client this often; a client that answers neither of two pings in a row (no
    /// frame at all for two periods) is dropped and counted out. Instances also renew a liveness key that lives one
    /// period, four times per period, and the others remove the viewers of an instance whose key expired: within
    /// 1 to 1 1/4 periods of its last renewal.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The largest message a client may send (close 1009 beyond it).</summary>
    [Range(256, 1_048_576)]
    public int MaxMessageBytes { get; set; } = 4096;

    /// <summary>Frames waiting for one slow client; when full, the client is dropped (close 1008) rather than
    /// the room slowed down or the memory grown.</summary>
    [Range(8, 65_536)]
    public int SendQueueCapacity { get; set; } = 512;

    /// <summary>How long a dropped client's close handshake may take before the socket is aborted.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Danmaku sent to a newly joined client.</summary>
    [Range(0, 1000)]
    public int HistorySize { get; set; } = 50;

    /// <summary>Longest danmaku in characters (Unicode scalar values) after trimming.</summary>
    [Range(1, 2000)]
    public int MaxDanmakuLength { get; set; } = 200;

    /// <summary>Danmaku a user may send at once before the steady rate applies (token bucket size).</summary>
    [Range(1, 10_000)]
    public int DanmakuBurst { get; set; } = 5;

    /// <summary>Danmaku per second a user may keep sending (token bucket refill rate), over all their devices.</summary>
    [Range(0.001, 10_000)]
    public double DanmakuPerSecond { get; set; } = 1;

    /// <summary>Viewer-count pushes for guests entering or leaving are coalesced: at most one per room per this
    /// interval, so 10,000 guests arriving do not cause 10,000 broadcasts to 10,000 viewers.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ViewerCountInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The largest userlist page.</summary>
    [Range(1, 1000)]
    public int MaxUserListPage { get; set; } = 100;

    /// <summary>The longest mute and slow mode a room owner may set.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan MaxModerationDuration { get; set; } = TimeSpan.FromDays(1);
}
