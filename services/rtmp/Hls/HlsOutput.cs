using LiveMicro.Media;
using LiveMicro.Media.Hls;
using LiveMicro.Rtmp.Streams;

namespace LiveMicro.Rtmp.Hls;

/// <summary>What HTTP requests read: the playlist text and the segments it may reference.</summary>
public sealed record HlsSnapshot(string Playlist, IReadOnlyDictionary<string, byte[]> Segments);

/// <summary>
/// The HLS adapter of one stream: a subscriber that cuts the stream into MPEG-TS segments at keyframes and keeps a
/// sliding-window playlist. Its writer loop owns the segmenter and playlist; HTTP requests read an immutable
/// snapshot replaced at each cut. A segment is freed only some cuts after it left the playlist.
/// </summary>
public sealed partial class HlsOutput : StreamSubscriber
{
    // Frames between cuts are processed in the writer loop; a generous queue keeps a CPU hiccup from costing a gap.
    private const int QueueCapacity = 8192;

    private readonly HlsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _streamName;
    private readonly string _segmentPrefix;
    private readonly HlsSegmenter _segmenter;
    private readonly HlsMediaPlaylist _playlist;
    private readonly Dictionary<string, byte[]> _segments = new(StringComparer.Ordinal);
    private readonly Queue<string> _retired = new();
    private volatile HlsSnapshot? _snapshot;
    private bool _failed;

    public HlsOutput(string streamName, string segmentPrefix, HlsOptions options, TimeProvider time, ILogger logger)
        : base(QueueCapacity)
    {
        _streamName = streamName;
        _segmentPrefix = segmentPrefix;
        _options = options;
        _time = time;
        _logger = logger;
        _segmenter = new HlsSegmenter(options.SegmentDuration);
        _playlist = new HlsMediaPlaylist(options.WindowSize, (int)Math.Ceiling(options.SegmentDuration.TotalSeconds));
    }

    public override string Protocol => "hls";

    /// <summary>Null until the first segment is complete.</summary>
    public HlsSnapshot? Snapshot => _snapshot;

    public DateTimeOffset? EndedAt { get; private set; }

    protected override int Write(in MediaUnit unit)
    {
        if (_failed)
        {
            return 0;
        }

        try
        {
            var completed = unit.Kind switch
            {
                MediaKind.Video => _segmenter.WriteVideoTag(unit.Timestamp, unit.Payload),
                MediaKind.Audio => _segmenter.WriteAudioTag(unit.Timestamp, unit.Payload),
                _ => null,
            };
            if (completed is not null)
            {
                AddSegment(completed);
            }
        }
        catch (MediaFormatException exception)
        {
            // The publisher's media cannot be remuxed; RTMP and HTTP-FLV players still get it unchanged.
            _failed = true;
            Log.SegmentingFailed(_logger, exception, _streamName);
        }

        return unit.Length;
    }

    protected override ValueTask EndBatchAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    protected override ValueTask WriteEndAsync(CancellationToken cancellationToken)
    {
        if (!_failed && _segmenter.Finish() is { } last)
        {
            AddSegment(last);
        }

        _playlist.End();
        EndedAt = _time.GetUtcNow();
        Publish();
        return ValueTask.CompletedTask;
    }

    private void AddSegment(HlsSegmentData segment)
    {
        var uri = $"{_segmentPrefix}-{segment.Sequence}.ts";
        _segments[uri] = segment.Data;
        if (_playlist.AddSegment(uri, segment.Duration) is { } removed)
        {
            _retired.Enqueue(removed.Uri);
            while (_retired.Count > _options.RetainedAfterRemoval)
            {
                _segments.Remove(_retired.Dequeue());
            }
        }

        Publish();
    }

    private void Publish() => _snapshot = new HlsSnapshot(_playlist.Write(), new Dictionary<string, byte[]>(_segments, StringComparer.Ordinal));

    private static partial class Log
    {
        [LoggerMessage(5001, LogLevel.Warning, "HLS output of {StreamName} stopped: its media cannot be segmented")]
        public static partial void SegmentingFailed(ILogger logger, Exception exception, string streamName);
    }
}
