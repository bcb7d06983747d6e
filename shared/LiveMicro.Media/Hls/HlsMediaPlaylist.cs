using System.Globalization;
using System.Text;

namespace LiveMicro.Media.Hls;

/// <summary>One media segment of a playlist.</summary>
/// <param name="Uri">Relative or absolute URI of the segment.</param>
/// <param name="Duration">Duration in seconds, as written to EXTINF.</param>
/// <param name="IsDiscontinuity">The segment follows a discontinuity (new encoder session, timestamps reset, codec change).</param>
public sealed record HlsSegment(string Uri, double Duration, bool IsDiscontinuity);

/// <summary>
/// A live HLS media playlist over a sliding window of segments (RFC 8216 section 4.3.3 and 6.2.2): segments fall
/// out of the window as new ones arrive, advancing EXT-X-MEDIA-SEQUENCE, and EXT-X-DISCONTINUITY-SEQUENCE counts
/// the discontinuities that fell out with them. Not thread-safe: the publisher of one stream owns it.
/// </summary>
public sealed class HlsMediaPlaylist
{
    /// <summary>Decimal EXTINF durations need protocol version 3 (RFC 8216 section 7).</summary>
    public const int ProtocolVersion = 3;

    private readonly Queue<HlsSegment> _segments = new();
    private readonly int _windowSize;

    /// <param name="windowSize">Segments kept in the playlist; RFC 8216 section 6.2.2 asks for at least three target durations' worth.</param>
    /// <param name="targetDuration">Seconds; the segmenter's intended segment length, rounded up.</param>
    public HlsMediaPlaylist(int windowSize, int targetDuration)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(windowSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetDuration);
        _windowSize = windowSize;
        TargetDuration = targetDuration;
    }

    /// <summary>
    /// EXT-X-TARGETDURATION. Every EXTINF rounded to the nearest integer must not exceed it (section 4.3.3.1), so a
    /// longer segment (a late keyframe) raises it; it never decreases.
    /// </summary>
    public int TargetDuration { get; private set; }

    /// <summary>Media sequence number of the first segment in the window.</summary>
    public long MediaSequence { get; private set; }

    /// <summary>Discontinuities that have left the window (section 4.3.3.3).</summary>
    public long DiscontinuitySequence { get; private set; }

    /// <summary>Set by <see cref="End"/>: the playlist gets EXT-X-ENDLIST and accepts no more segments.</summary>
    public bool IsEnded { get; private set; }

    public IReadOnlyCollection<HlsSegment> Segments => _segments;

    /// <summary>Adds a segment, and returns the one that fell out of the window (to delete its file), if any.</summary>
    public HlsSegment? AddSegment(string uri, double duration, bool isDiscontinuity = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        if (uri.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException("A segment URI must be a single line.", nameof(uri));
        }

        if (!double.IsFinite(duration) || duration < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "Durations are finite and non-negative.");
        }

        if (IsEnded)
        {
            throw new InvalidOperationException("The playlist has ended.");
        }

        TargetDuration = Math.Max(TargetDuration, (int)Math.Round(duration, MidpointRounding.AwayFromZero));
        _segments.Enqueue(new HlsSegment(uri, duration, isDiscontinuity));
        if (_segments.Count <= _windowSize)
        {
            return null;
        }

        var removed = _segments.Dequeue();
        MediaSequence++;
        if (removed.IsDiscontinuity)
        {
            DiscontinuitySequence++;
        }

        return removed;
    }

    /// <summary>Marks the stream as finished: players stop reloading once they see EXT-X-ENDLIST.</summary>
    public void End() => IsEnded = true;

    /// <summary>The playlist text (UTF-8, LF line endings).</summary>
    public string Write()
    {
        var text = new StringBuilder(128 + (_segments.Count * 48));
        var invariant = CultureInfo.InvariantCulture;
        text.Append("#EXTM3U\n");
        text.Append(invariant, $"#EXT-X-VERSION:{ProtocolVersion}\n");
        text.Append(invariant, $"#EXT-X-TARGETDURATION:{TargetDuration}\n");
        text.Append(invariant, $"#EXT-X-MEDIA-SEQUENCE:{MediaSequence}\n");
        if (DiscontinuitySequence > 0)
        {
            text.Append(invariant, $"#EXT-X-DISCONTINUITY-SEQUENCE:{DiscontinuitySequence}\n");
        }

        foreach (var segment in _segments)
        {
            if (segment.IsDiscontinuity)
            {
                text.Append("#EXT-X-DISCONTINUITY\n");
            }

            text.Append(invariant, $"#EXTINF:{segment.Duration:0.000},\n");
            text.Append(segment.Uri).Append('\n');
        }

        if (IsEnded)
        {
            text.Append("#EXT-X-ENDLIST\n");
        }

        return text.ToString();
    }
}
