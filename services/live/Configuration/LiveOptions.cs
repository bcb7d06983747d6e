using System.ComponentModel.DataAnnotations;
using LiveMicro.ServiceDefaults.Validation;

namespace LiveMicro.Live.Configuration;

/// <summary>Section <c>Live</c>: the public addresses rooms hand out, and presence timing.</summary>
public sealed class LiveOptions
{
    public const string SectionName = "Live";

    /// <summary>The RTMP application URL, as OBS wants it in "Server" (the stream key goes in its own field).</summary>
    [Required]
    public string RtmpUrl { get; set; } = "rtmp://localhost:1935/live";

    /// <summary>Where HTTP-FLV and HLS are played from (the gateway, which routes <c>/live/**</c> to the media server).</summary>
    [Required, HttpUrl]
    public string PlaybackBaseUrl { get; set; } = "http://localhost:8080";

    /// <summary>How often the server pings a room WebSocket; a client that misses two pings is dropped.</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:05:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a viewer entered over HTTP (no WebSocket) counts without entering again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan HttpPresenceTtl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Viewer counts are pushed at most this often per room.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:10")]
    public TimeSpan CountPushInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The largest message a client may send (WebRTC offers are a few KB).</summary>
    [Range(256, 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 16 * 1024;

    /// <summary>Messages queued for one slow socket before the oldest are dropped.</summary>
    [Range(4, 4096)]
    public int SocketQueueLength { get; set; } = 64;

    /// <summary>A WebSocket connection is counted until this long after its last renewal, so the viewers of
    /// an instance that died without a word drop out: three heartbeats.</summary>
    public TimeSpan ConnectionLease => HeartbeatInterval * 3;
}
