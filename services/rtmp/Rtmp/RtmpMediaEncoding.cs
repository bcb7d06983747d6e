using LiveMicro.Media.Rtmp;
using LiveMicro.Rtmp.Streams;

namespace LiveMicro.Rtmp.Rtmp;

/// <summary>
/// Units as RTMP messages for every player whose outgoing chunk size and message stream are these: self-contained
/// chunks (type 0 header, then type 3), which need no knowledge of what a player's connection sent before.
/// </summary>
internal sealed record RtmpMediaEncoding(int ChunkSize, uint MessageStreamId) : WindowEncoding
{
    public const int AudioChunkStreamId = 4;
    public const int DataChunkStreamId = 5;
    public const int VideoChunkStreamId = 6;

    /// <summary>The chunk stream and message type a unit travels as, on every path that sends one.</summary>
    public static (int ChunkStreamId, RtmpMessageType Type) MessageOf(MediaKind kind) => kind switch
    {
        MediaKind.Audio => (AudioChunkStreamId, RtmpMessageType.Audio),
        MediaKind.Video => (VideoChunkStreamId, RtmpMessageType.Video),
        _ => (DataChunkStreamId, RtmpMessageType.DataAmf0),
    };

    public override int GetEncodedLength(in MediaUnit unit) =>
        RtmpChunkWriter.GetSelfContainedMessageLength(MessageOf(unit.Kind).ChunkStreamId, ChunkSize, unit.Timestamp, unit.Length);

    public override int Encode(in MediaUnit unit, Span<byte> destination)
    {
        var (chunkStreamId, type) = MessageOf(unit.Kind);
        return RtmpChunkWriter.WriteSelfContainedMessage(destination, ChunkSize, chunkStreamId, type, MessageStreamId, unit.Timestamp, unit.Payload);
    }
}
