using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace LiveMicro.Media.Rtmp;

/// <summary>
/// Client side of the simple RTMP handshake (RTMP 1.0 section 5.2): C0+C1 go out at once, S0+S1+S2 come back, and
/// C2 echoes S1. Servers (ours, nginx-rtmp, FMS) accept it from any client, so test and load clients need no digest.
/// </summary>
public sealed class RtmpClientHandshake
{
    private bool _sentC0C1;

    public bool IsCompleted { get; private set; }

    /// <summary>C0 (version 3) and C1 (time 0, four zero bytes, random): a zero version field asks for the simple form.</summary>
    public void WriteC0C1(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(1 + RtmpServerHandshake.PacketSize)[..(1 + RtmpServerHandshake.PacketSize)];
        span[0] = RtmpServerHandshake.ProtocolVersion;
        BinaryPrimitives.WriteUInt64BigEndian(span[1..], 0);
        RandomNumberGenerator.Fill(span[9..]);
        output.Advance(span.Length);
        _sentC0C1 = true;
    }

    /// <summary>Consumes S0+S1+S2 once all of it is in and writes C2; true when the handshake is complete.</summary>
    /// <exception cref="RtmpProtocolException">S0 is not version 3.</exception>
    public bool TryAdvance(ref SequenceReader<byte> input, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (IsCompleted)
        {
            return true;
        }

        if (!_sentC0C1)
        {
            throw new InvalidOperationException("WriteC0C1 first.");
        }

        if (input.TryPeek(out var version) && version != RtmpServerHandshake.ProtocolVersion)
        {
            throw new RtmpProtocolException(RtmpProtocolError.UnsupportedVersion, $"S0 announces RTMP version {version}.");
        }

        if (input.Remaining < 1 + (2 * RtmpServerHandshake.PacketSize))
        {
            return false;
        }

        input.Advance(1);
        var c2 = output.GetSpan(RtmpServerHandshake.PacketSize)[..RtmpServerHandshake.PacketSize];
        input.TryCopyTo(c2);
        output.Advance(RtmpServerHandshake.PacketSize);
        input.Advance(2 * RtmpServerHandshake.PacketSize);
        IsCompleted = true;
        return true;
    }
}
