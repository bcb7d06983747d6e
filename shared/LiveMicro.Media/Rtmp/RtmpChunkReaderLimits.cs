namespace LiveMicro.Media.Rtmp;

/// <summary>Bounds on what a peer can make an <see cref="RtmpChunkReader"/> hold.</summary>
public sealed record RtmpChunkReaderLimits
{
    /// <summary>
    /// Keyframes of high-bitrate 4K streams reach a few MiB; the 24-bit length field would otherwise let any
    /// message claim 16 MiB.
    /// </summary>
    public const int DefaultMaxMessageLength = 8 * 1024 * 1024;

    /// <summary>
    /// Encoders use a handful of chunk streams (control, command, audio, video, data); the csid space is 65598 wide
    /// and each stream costs us state, so the number a single connection may open is bounded.
    /// </summary>
    public const int DefaultMaxChunkStreams = 64;

    public static RtmpChunkReaderLimits Default { get; } = new();

    public int MaxMessageLength { get; init; } = DefaultMaxMessageLength;

    public int MaxChunkStreams { get; init; } = DefaultMaxChunkStreams;
}
