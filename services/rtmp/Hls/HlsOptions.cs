using System.ComponentModel.DataAnnotations;

namespace LiveMicro.Rtmp.Hls;

/// <summary>HLS output (section <c>Hls</c>).</summary>
public sealed class HlsOptions
{
    public const string SectionName = "Hls";

    public bool Enabled { get; set; } = true;

    /// <summary>Target segment length; segments are cut at the first keyframe after it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:01:00")]
    public TimeSpan SegmentDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Segments in the sliding-window playlist.</summary>
    [Range(3, 100)]
    public int WindowSize { get; set; } = 6;

    /// <summary>
    /// Segments that left the playlist stay downloadable for this many more cuts: a player that loaded the
    /// playlist just before a cut still finds what it listed.
    /// </summary>
    [Range(0, 100)]
    public int RetainedAfterRemoval { get; set; } = 2;

    /// <summary>How long the ended playlist (with EXT-X-ENDLIST) and its segments stay after the publisher stops.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan EndedStreamRetention { get; set; } = TimeSpan.FromSeconds(60);
}
