using LiveMicro.Media.Flv;
using LiveMicro.Media.Rtmp;

namespace LiveMicro.Rtmp.Streams;

public enum MediaKind : byte
{
    Audio,
    Video,
    /// <summary>onMetaData: the "onMetaData", {properties} AMF0 values players expect.</summary>
    Metadata,
}

[Flags]
public enum MediaFlags : byte
{
    None = 0,
    /// <summary>A video random access point: a player may start here.</summary>
    KeyFrame = 1,
    /// <summary>Decoder configuration (AVC/HEVC record, AudioSpecificConfig) that must precede frames.</summary>
    SequenceHeader = 2,
}

/// <summary>
/// The one unit every input produces and every output consumes: a timestamped audio frame, video frame or metadata
/// message whose payload is the FLV tag body (codec header byte(s) + codec data, legacy or Enhanced RTMP). That body is
/// exactly what RTMP messages and FLV tags carry, and what the TS remuxer reads, so ingest never re-encodes and each
/// output is a thin adapter. The payload is a pooled, reference-counted buffer: one copy per frame, shared by every
/// player, each holder disposing its own reference.
/// </summary>
public readonly struct MediaUnit : IDisposable
{
    private readonly RtmpMessage _message;
    private readonly int _offset;

    public MediaUnit(MediaKind kind, uint timestamp, MediaFlags flags, RtmpMessage message, int offset = 0)
    {
        Kind = kind;
        Timestamp = timestamp;
        Flags = flags;
        _message = message;
        _offset = offset;
    }

    public MediaKind Kind { get; }

    /// <summary>Decode timestamp in milliseconds, as the publisher sent it.</summary>
    public uint Timestamp { get; }

    public MediaFlags Flags { get; }

    public bool IsKeyFrame => (Flags & MediaFlags.KeyFrame) != 0;

    public bool IsSequenceHeader => (Flags & MediaFlags.SequenceHeader) != 0;

    public ReadOnlySpan<byte> Payload => _message.Payload[_offset..];

    public int Length => _message.Header.Length - _offset;

    /// <summary>Classifies an RTMP audio or video message and takes ownership of it.</summary>
    public static MediaUnit FromMessage(RtmpMessage message, out uint codec)
    {
        codec = 0;
        if (message.Header.Type == RtmpMessageType.Video)
        {
            var flags = MediaFlags.None;
            if (FlvVideoTagHeader.TryParse(message.Payload, out var video))
            {
                codec = video.FourCc;
                flags = (video.IsKeyFrame ? MediaFlags.KeyFrame : 0) | (video.IsSequenceHeader ? MediaFlags.SequenceHeader : 0);
            }

            return new MediaUnit(MediaKind.Video, message.Header.Timestamp, flags, message);
        }

        var audioFlags = MediaFlags.None;
        if (FlvAudioTagHeader.TryParse(message.Payload, out var audio))
        {
            codec = audio.FourCc != 0 ? audio.FourCc : (uint)audio.SoundFormat;
            audioFlags = audio.IsSequenceHeader ? MediaFlags.SequenceHeader : 0;
        }

        return new MediaUnit(MediaKind.Audio, message.Header.Timestamp, audioFlags, message);
    }

    /// <summary>Another reference to the same payload, to be disposed by its new holder.</summary>
    public MediaUnit Retain()
    {
        _message.Retain();
        return this;
    }

    public void Dispose() => _message.Dispose();
}
