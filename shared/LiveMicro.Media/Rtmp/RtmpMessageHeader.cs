namespace LiveMicro.Media.Rtmp;

/// <summary>The message header fields a chunk stream carries (RTMP 1.0 section 6.1.1).</summary>
/// <param name="Timestamp">Milliseconds, 32 bits, wrapping.</param>
/// <param name="Length">Payload length in bytes (24 bits on the wire).</param>
/// <param name="Type">Message type ID.</param>
/// <param name="MessageStreamId">0 for the NetConnection, otherwise a NetStream created by createStream.</param>
public readonly record struct RtmpMessageHeader(uint Timestamp, int Length, RtmpMessageType Type, uint MessageStreamId);
