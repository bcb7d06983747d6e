using System.Buffers;
using LiveMicro.Media.Flv;
using LiveMicro.Media.Mpeg2Ts;

namespace LiveMicro.Media.Hls;

/// <summary>A finished MPEG-TS segment: its media sequence number, duration in seconds and bytes.</summary>
public sealed record HlsSegmentData(long Sequence, double Duration, byte[] Data);

/// <summary>
/// Cuts a live stream of FLV audio/video tag data into MPEG-TS segments for HLS (RFC 8216 section 3): every segment
/// starts with PAT/PMT and, when the stream has video, with a keyframe, so each one decodes on its own. A segment
/// ends at the first keyframe at least the target duration after it began; audio-only streams are cut at the first
/// audio frame past it. Frames before the first keyframe are dropped (nothing could decode them). Only what
/// <see cref="FlvTsRemuxer"/> carries (H.264, AAC) is segmented; other codecs produce no segments.
/// One instance per stream; not thread-safe.
/// </summary>
public sealed class HlsSegmenter
{
    private readonly uint _targetMilliseconds;
    private readonly ArrayBufferWriter<byte> _segment = new(256 * 1024);
    private byte[]? _videoHeader;
    private byte[]? _audioHeader;
    private FlvTsRemuxer? _remuxer;
    private bool _hasVideo;
    private bool _segmentOpen;
    private uint _segmentStart;
    private uint _lastTimestamp;
    private uint _frameDuration;
    private long _nextSequence;

    public HlsSegmenter(TimeSpan targetDuration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(targetDuration, TimeSpan.Zero);
        _targetMilliseconds = (uint)targetDuration.TotalMilliseconds;
    }

    /// <summary>Takes one video tag; returns the segment this keyframe closed, if any.</summary>
    /// <exception cref="MediaFormatException">A malformed AVC sequence header or access unit.</exception>
    public HlsSegmentData? WriteVideoTag(uint timestamp, ReadOnlySpan<byte> tagData)
    {
        if (!FlvVideoTagHeader.TryParse(tagData, out var header) || header.FourCc != FourCc.Avc)
        {
            return null;
        }

        if (header.IsSequenceHeader)
        {
            _videoHeader = tagData.ToArray();
            _remuxer?.WriteVideoTag(_segment, timestamp, tagData);
            return null;
        }

        if (_remuxer is null && header.IsKeyFrame && _videoHeader is not null)
        {
            Start(hasVideo: true);
        }

        if (_remuxer is null || !_hasVideo)
        {
            return null;
        }

        HlsSegmentData? completed = null;
        if (header.IsKeyFrame && (!_segmentOpen || timestamp - _segmentStart >= _targetMilliseconds))
        {
            completed = Cut(timestamp);
        }

        if (_segmentOpen)
        {
            Track(timestamp);
            _remuxer.WriteVideoTag(_segment, timestamp, tagData);
        }

        return completed;
    }

    /// <summary>Takes one audio tag; returns the segment it closed (audio-only streams), if any.</summary>
    /// <exception cref="MediaFormatException">A malformed AudioSpecificConfig.</exception>
    public HlsSegmentData? WriteAudioTag(uint timestamp, ReadOnlySpan<byte> tagData)
    {
        if (!FlvAudioTagHeader.TryParse(tagData, out var header) || header.FourCc != FourCc.Aac)
        {
            return null;
        }

        if (header.IsSequenceHeader)
        {
            _audioHeader = tagData.ToArray();
            _remuxer?.WriteAudioTag(_segment, timestamp, tagData);
            return null;
        }

        // Encoders send both sequence headers before any frame, so a coded audio frame with no video header yet
        // means an audio-only stream.
        if (_remuxer is null && _audioHeader is not null && _videoHeader is null)
        {
            Start(hasVideo: false);
        }

        if (_remuxer is null)
        {
            return null;
        }

        HlsSegmentData? completed = null;
        if (!_hasVideo && (!_segmentOpen || timestamp - _segmentStart >= _targetMilliseconds))
        {
            completed = Cut(timestamp);
        }

        if (_segmentOpen)
        {
            Track(timestamp);
            _remuxer.WriteAudioTag(_segment, timestamp, tagData);
        }

        return completed;
    }

    /// <summary>Closes the segment in progress at the end of the stream; null when it holds nothing.</summary>
    public HlsSegmentData? Finish()
    {
        if (!_segmentOpen)
        {
            return null;
        }

        _segmentOpen = false;
        var duration = (_lastTimestamp - _segmentStart + _frameDuration) / 1000.0;
        return new HlsSegmentData(_nextSequence++, duration, _segment.WrittenSpan.ToArray());
    }

    private void Start(bool hasVideo)
    {
        _hasVideo = hasVideo;
        _remuxer = new FlvTsRemuxer(hasVideo, hasAudio: _audioHeader is not null);
        if (_videoHeader is not null && hasVideo)
        {
            _remuxer.WriteVideoTag(_segment, 0, _videoHeader);
        }

        if (_audioHeader is not null)
        {
            _remuxer.WriteAudioTag(_segment, 0, _audioHeader);
        }
    }

    private HlsSegmentData? Cut(uint timestamp)
    {
        HlsSegmentData? completed = null;
        if (_segmentOpen)
        {
            completed = new HlsSegmentData(_nextSequence++, (timestamp - _segmentStart) / 1000.0, _segment.WrittenSpan.ToArray());
        }

        _segment.ResetWrittenCount();
        _remuxer!.WriteProgramTables(_segment);
        _segmentStart = timestamp;
        _lastTimestamp = timestamp;
        _segmentOpen = true;
        return completed;
    }

    // The last frame's duration is not on the wire; the gap between the last two frames stands in for it.
    private void Track(uint timestamp)
    {
        if (timestamp > _lastTimestamp)
        {
            _frameDuration = timestamp - _lastTimestamp;
            _lastTimestamp = timestamp;
        }
    }
}
