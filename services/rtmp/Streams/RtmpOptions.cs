using System.ComponentModel.DataAnnotations;
using System.Net;

namespace LiveMicro.Rtmp.Streams;

/// <summary>Listeners, publish authorization and the fan-out to players (section <c>Rtmp</c>).</summary>
public sealed class RtmpOptions : IValidatableObject
{
    public const string SectionName = "Rtmp";

    /// <summary>RTMP port (publish and play).</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 1935;

    /// <summary>HTTP port: HTTP-FLV, HLS, stats, health.</summary>
    [Range(1, 65535)]
    public int HttpPort { get; set; } = 8090;

    /// <summary>Address both listeners bind; 0.0.0.0 for every interface.</summary>
    [Required]
    public string ListenAddress { get; set; } = "0.0.0.0";

    /// <summary>The RTMP application name in <c>rtmp://host/{Application}/{name}</c>.</summary>
    [Required, RegularExpression("^[A-Za-z0-9_-]{1,64}$")]
    public string Application { get; set; } = "live";

    /// <summary>The live service, which answers <c>POST /internal/streams/authorize</c>.</summary>
    [Required, Url]
    public string LiveServiceUrl { get; set; } = "http://localhost:5003";

    /// <summary>How long an answer of the live service about a stream key is reused (reconnects, retries).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan AuthorizationCacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan AuthorizationTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>A connection that has not started publishing or playing may stay silent this long.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A publisher that sends nothing for this long is disconnected (half-open TCP, a frozen encoder).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PublisherIdleTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A second publisher on a key is refused while the first sends media; once the first has been quiet this long,
    /// the newcomer replaces it (an encoder reconnecting after a network drop, whose old TCP connection is half-open).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PublisherTakeoverAfter { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>A player whose socket accepts nothing for this long is disconnected.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PlayerWriteTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Frames arriving within this window go to players together, so each player gets one socket write per window
    /// instead of one per frame; 0 sends every frame at once. Adds at most this much latency. 100 ms: at 1,500 players
    /// a third less CPU than 40 ms (bench/README.md), far below the playback buffer of any RTMP or FLV player.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan MergeWindow { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Media messages a player may have queued (references, not copies). A player that falls this far behind drops
    /// its backlog and resumes at the next keyframe. Must hold a whole cached GOP for a fast first frame.
    /// </summary>
    [Range(16, 65536)]
    public int PlayerQueueCapacity { get; set; } = 1024;

    /// <summary>Most messages kept in the GOP cache; a longer GOP is not cached (late joiners wait for a keyframe).</summary>
    [Range(16, 65536)]
    public int MaxCachedGopMessages { get; set; } = 2048;

    /// <summary>Our outgoing chunk size: large chunks mean fewer chunk headers per video frame.</summary>
    [Range(128, 65536)]
    public int ChunkSize { get; set; } = 4096;

    /// <summary>Largest RTMP message accepted from a peer.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxMessageLength { get; set; } = 8 * 1024 * 1024;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IPAddress.TryParse(ListenAddress, out _))
        {
            yield return new ValidationResult($"Rtmp:ListenAddress '{ListenAddress}' is not an IP address.", [nameof(ListenAddress)]);
        }

        if (Port == HttpPort)
        {
            yield return new ValidationResult("Rtmp:Port and Rtmp:HttpPort must differ.", [nameof(Port), nameof(HttpPort)]);
        }
    }
}
