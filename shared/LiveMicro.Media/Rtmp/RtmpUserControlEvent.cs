using System.Buffers;
using System.Buffers.Binary;

namespace LiveMicro.Media.Rtmp;

/// <summary>User Control Message event types (RTMP 1.0 section 7.1.7).</summary>
public enum RtmpUserControlEventType : ushort
{
    StreamBegin = 0,
    StreamEof = 1,
    StreamDry = 2,
    SetBufferLength = 3,
    StreamIsRecorded = 4,
    PingRequest = 6,
    PingResponse = 7,
}

/// <summary>
/// One User Control Message (message type 4): a 16-bit event type followed by event data (RTMP 1.0 section 6.2).
/// Stream events carry a message stream ID; Set Buffer Length adds a buffer length in milliseconds; pings carry a timestamp.
/// </summary>
public readonly record struct RtmpUserControlEvent(RtmpUserControlEventType Type, uint StreamIdOrTimestamp, uint BufferLengthMilliseconds = 0)
{
    /// <summary>Chunk stream used for user control messages, which share stream 2 with protocol control (section 6.2).</summary>
    public const int ChunkStreamId = 2;

    private const int MaxLength = 10;

    public uint StreamId => StreamIdOrTimestamp;

    public uint Timestamp => StreamIdOrTimestamp;

    public static RtmpUserControlEvent StreamBegin(uint streamId) => new(RtmpUserControlEventType.StreamBegin, streamId);

    public static RtmpUserControlEvent StreamEof(uint streamId) => new(RtmpUserControlEventType.StreamEof, streamId);

    public static RtmpUserControlEvent StreamDry(uint streamId) => new(RtmpUserControlEventType.StreamDry, streamId);

    public static RtmpUserControlEvent StreamIsRecorded(uint streamId) => new(RtmpUserControlEventType.StreamIsRecorded, streamId);

    public static RtmpUserControlEvent PingRequest(uint timestamp) => new(RtmpUserControlEventType.PingRequest, timestamp);

    public static RtmpUserControlEvent PingResponse(uint timestamp) => new(RtmpUserControlEventType.PingResponse, timestamp);

    public static RtmpUserControlEvent SetBufferLength(uint streamId, uint milliseconds) =>
        new(RtmpUserControlEventType.SetBufferLength, streamId, milliseconds);

    /// <summary>
    /// Parses a user control payload. Event types this library does not name (FMS's buffer-empty/ready, SWF
    /// verification) parse with their first data field, if any, so the caller can ignore them.
    /// </summary>
    public static RtmpUserControlEvent Parse(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 2)
        {
            throw Malformed(payload.Length, 2);
        }

        var type = (RtmpUserControlEventType)BinaryPrimitives.ReadUInt16BigEndian(payload);
        var data = payload[2..];
        var required = type switch
        {
            RtmpUserControlEventType.SetBufferLength => 8,
            RtmpUserControlEventType.StreamBegin or RtmpUserControlEventType.StreamEof or RtmpUserControlEventType.StreamDry
                or RtmpUserControlEventType.StreamIsRecorded or RtmpUserControlEventType.PingRequest or RtmpUserControlEventType.PingResponse => 4,
            _ => 0,
        };
        if (data.Length < required)
        {
            throw Malformed(payload.Length, required + 2);
        }

        var first = data.Length >= 4 ? BinaryPrimitives.ReadUInt32BigEndian(data) : 0;
        var bufferLength = type == RtmpUserControlEventType.SetBufferLength ? BinaryPrimitives.ReadUInt32BigEndian(data[4..]) : 0;
        return new RtmpUserControlEvent(type, first, bufferLength);
    }

    /// <summary>Writes the event as a user control message (message stream 0, timestamp 0).</summary>
    public void WriteTo(RtmpChunkWriter writer, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> payload = stackalloc byte[MaxLength];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)Type);
        BinaryPrimitives.WriteUInt32BigEndian(payload[2..], StreamIdOrTimestamp);
        var length = 6;
        if (Type == RtmpUserControlEventType.SetBufferLength)
        {
            BinaryPrimitives.WriteUInt32BigEndian(payload[6..], BufferLengthMilliseconds);
            length = 10;
        }

        writer.WriteMessage(output, ChunkStreamId, RtmpMessageType.UserControl, 0, 0, payload[..length]);
    }

    private static RtmpProtocolException Malformed(int length, int required) =>
        new(RtmpProtocolError.MalformedControlMessage, $"User control message of {length} bytes; its event needs {required}.");
}
