using System.Buffers.Binary;

namespace LiveMicro.Media.Rtmp;

/// <summary>Set Peer Bandwidth limit types (RTMP 1.0 section 5.4.5).</summary>
public enum RtmpPeerBandwidthLimitType : byte
{
    Hard = 0,
    Soft = 1,
    Dynamic = 2,
}

/// <summary>
/// Payloads of the protocol control messages (RTMP 1.0 section 5.4): Set Chunk Size, Abort, Acknowledgement and
/// Window Acknowledgement Size carry one big-endian 32-bit field; Set Peer Bandwidth adds a limit-type byte.
/// They travel on chunk stream 2, message stream 0.
/// </summary>
public static class RtmpProtocolControl
{
    /// <summary>The chunk stream protocol control messages must use (section 5.4).</summary>
    public const int ChunkStreamId = 2;

    /// <summary>The 32-bit field of a Set Chunk Size, Abort, Acknowledgement or Window Acknowledgement Size message.</summary>
    public static uint ReadUInt32(ReadOnlySpan<byte> payload, RtmpMessageType type)
    {
        if (payload.Length < 4)
        {
            throw new RtmpProtocolException(RtmpProtocolError.MalformedControlMessage, $"{type} needs 4 bytes, got {payload.Length}.");
        }

        return BinaryPrimitives.ReadUInt32BigEndian(payload);
    }

    //  0                   1                   2                   3
    //  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |                  Acknowledgement Window size                  |
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |  Limit Type   |
    // +-+-+-+-+-+-+-+-+
    // RTMP 1.0 section 5.4.5.
    public static (uint WindowSize, RtmpPeerBandwidthLimitType LimitType) ReadSetPeerBandwidth(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 5)
        {
            throw new RtmpProtocolException(RtmpProtocolError.MalformedControlMessage, $"Set Peer Bandwidth needs 5 bytes, got {payload.Length}.");
        }

        return (BinaryPrimitives.ReadUInt32BigEndian(payload), (RtmpPeerBandwidthLimitType)payload[4]);
    }
}
