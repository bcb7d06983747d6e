using System.Buffers.Binary;

namespace LiveMicro.Media.Rtp;

/// <summary>
/// An RTP packet read in place (RFC 3550 section 5.1):
/// <code>
///  0                   1                   2                   3
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// |                           timestamp                           |
/// |           synchronization source (SSRC) identifier            |
/// |            contributing source (CSRC) identifiers             | (CC of them)
/// |      defined by profile       |           length              | (if X, then length words)
/// |                            payload                    | padding | (if P: its last byte counts it)
/// </code>
/// </summary>
public readonly ref struct RtpPacket
{
    private const int HeaderLength = 12;

    private RtpPacket(ReadOnlySpan<byte> packet, ReadOnlySpan<byte> payload)
    {
        Marker = (packet[1] & 0x80) != 0;
        PayloadType = (byte)(packet[1] & 0x7F);
        SequenceNumber = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        Timestamp = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        Ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);
        Payload = payload;
    }

    public bool Marker { get; }

    public byte PayloadType { get; }

    public ushort SequenceNumber { get; }

    public uint Timestamp { get; }

    public uint Ssrc { get; }

    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>What the second byte says of a packet that passed RFC 7983's first-byte test for RTP/RTCP: RTCP
    /// packet types 192-223 sit where RTP's marker and payload type would be (RFC 5761 section 4).</summary>
    public static bool IsRtcp(ReadOnlySpan<byte> packet) => packet.Length > 1 && packet[1] is >= 192 and <= 223;

    /// <summary>Where the payload starts: after the fixed header, the CSRCs and a header extension. False for a packet
    /// that is not version 2 or whose CSRCs or extension run past its end.</summary>
    public static bool TryGetHeaderLength(ReadOnlySpan<byte> packet, out int length)
    {
        length = 0;
        if (packet.Length < HeaderLength || (packet[0] >> 6) != 2) return false;
        var offset = HeaderLength + 4 * (packet[0] & 0x0F);
        if ((packet[0] & 0x10) != 0)
        {
            if (packet.Length < offset + 4) return false;
            offset += 4 + 4 * BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]);
        }

        if (offset > packet.Length) return false;
        length = offset;
        return true;
    }

    /// <summary>False for a packet that is not version 2 or whose CSRCs, extension or padding run past its end.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out RtpPacket rtp)
    {
        rtp = default;
        if (!TryGetHeaderLength(packet, out var offset)) return false;
        var end = packet.Length;
        if ((packet[0] & 0x20) != 0)
        {
            if (packet[^1] == 0) return false;
            end -= packet[^1];
        }

        if (offset > end) return false;
        rtp = new RtpPacket(packet, packet[offset..end]);
        return true;
    }
}
