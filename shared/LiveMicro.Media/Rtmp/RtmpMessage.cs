namespace LiveMicro.Media.Rtmp;

/// <summary>
/// A whole RTMP message whose payload lives in a pooled buffer. Whoever receives one owns one reference and must
/// <see cref="Dispose"/> it; <see cref="Retain"/> hands out another reference (e.g. one per subscriber). Using a
/// message after its last reference was released throws <see cref="ObjectDisposedException"/>. The default value
/// (what a failed TryReadMessage returns) has an empty payload and nothing to dispose.
/// </summary>
public readonly struct RtmpMessage : IDisposable
{
    private readonly RtmpMessageBuffer _buffer;
    private readonly int _generation;

    internal RtmpMessage(RtmpMessageHeader header, int chunkStreamId, RtmpMessageBuffer buffer)
    {
        Header = header;
        ChunkStreamId = chunkStreamId;
        _buffer = buffer;
        _generation = buffer.Generation;
    }

    public RtmpMessageHeader Header { get; }

    /// <summary>The chunk stream the message arrived on; informative only, messages are routed by type and stream.</summary>
    public int ChunkStreamId { get; }

    public ReadOnlySpan<byte> Payload => _buffer is null ? default : _buffer.GetSpan(_generation);

    public ReadOnlyMemory<byte> PayloadMemory => _buffer is null ? default : _buffer.GetMemory(_generation);

    /// <summary>Takes another reference to the same payload; the copy must be disposed separately.</summary>
    public RtmpMessage Retain()
    {
        _buffer?.Retain(_generation);
        return this;
    }

    public void Dispose() => _buffer?.Release(_generation);
}
