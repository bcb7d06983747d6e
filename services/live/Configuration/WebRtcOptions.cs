using System.ComponentModel.DataAnnotations;

namespace LiveMicro.Live.Configuration;

/// <summary>Section <c>WebRtc</c>: publishing from a browser over WHIP.</summary>
public sealed class WebRtcOptions
{
    public const string SectionName = "WebRtc";

    /// <summary>The one UDP port every WebRTC session's media arrives on (0: any free port, for tests).</summary>
    [Range(0, 65535)]
    public int UdpPort { get; set; } = 8200;

    /// <summary>The addresses publishers reach <see cref="UdpPort"/> at, best first: the host's public or LAN
    /// addresses (behind NAT, the public one; in Docker, the host's).</summary>
    [Required, MinLength(1)]
    public string[] Candidates { get; set; } = ["127.0.0.1"];

    /// <summary>The media server's RTMP application, inside the deployment: a WebRTC publisher's media is handed to it
    /// as an RTMP publish with the room's stream key, so it is authorized, distributed and recorded like OBS's.</summary>
    [Required]
    public string RtmpIngestUrl { get; set; } = "rtmp://127.0.0.1:1935/live";

    /// <summary>How often a publisher is asked for a keyframe (a browser sends one only when asked): players joining
    /// the stream start at one, and HLS cuts its segments at them.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:01:00")]
    public TimeSpan KeyframeInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A session whose publisher sends no connectivity check (consent, RFC 7675: every few seconds) for
    /// this long is closed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ConsentTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Sessions one live instance holds at once; a WHIP request beyond is answered 503.</summary>
    [Range(1, 100_000)]
    public int MaxSessions { get; set; } = 200;
}
