using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace LiveMicro.Media.Rtmp;

/// <summary>Which handshake the client asked for, known once C1 has been read.</summary>
public enum RtmpHandshakeKind
{
    /// <summary>Not decided yet: C1 has not arrived.</summary>
    Pending,
    /// <summary>RTMP 1.0 section 5.2: random bytes echoed back, no digests.</summary>
    Simple,
    /// <summary>
    /// The Flash Player/FMS digest handshake, digest block first (digest offset computed from C1 bytes 8..11).
    /// SRS calls this "schema 1"; ffmpeg and librtmp send it.
    /// </summary>
    DigestBlockFirst,
    /// <summary>The digest handshake with the key block first (digest offset from C1 bytes 772..775); SRS's "schema 0".</summary>
    KeyBlockFirst,
}

public enum RtmpHandshakeState
{
    AwaitingC0C1,
    AwaitingC2,
    Completed,
}

/// <summary>
/// Server side of the RTMP handshake as a state machine over bytes: feed what arrived, send what it writes.
/// RTMP 1.0 section 5.2 describes the simple form; the digest form is what Flash Player and FMS (and so
/// ffmpeg, OBS/librtmp) use, where C1 and S1 carry an HMAC-SHA256 digest and S2 is signed with C1's digest.
/// </summary>
public sealed class RtmpServerHandshake
{
    /// <summary>Size of C1, C2, S1 and S2 (section 5.2.3).</summary>
    public const int PacketSize = 1536;

    /// <summary>The only RTMP version C0 may carry (section 5.2.2).</summary>
    public const byte ProtocolVersion = 3;

    private const int DigestLength = 32;

    // A digest offset is (sum of 4 offset bytes) % 728 from the start of its 764-byte block, skipping those 4 bytes.
    private const int DigestOffsetModulus = 728;
    private const int DigestBlockFirstOffsetField = 8;
    private const int KeyBlockFirstOffsetField = 772;

    // Non-zero version bytes in S1 tell the client the digest handshake is in use; 4.5.0.1 is an FMS version.
    private const uint DigestServerVersion = 0x04050001;

    // "Genuine Adobe Flash Media Server 001" followed by 32 constant bytes; S1 digests use the first 36 bytes,
    // S2 signatures the full 68. The Flash Player key shares the tail; C1 digests use its first 30 bytes.
    private static ReadOnlySpan<byte> KeyTail =>
    [
        0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
        0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE,
    ];

    private static readonly byte[] ServerKey = [.. "Genuine Adobe Flash Media Server 001"u8, .. KeyTail];
    private static readonly byte[] PlayerKey = [.. "Genuine Adobe Flash Player 001"u8, .. KeyTail];

    private readonly Action<Span<byte>> _fillRandom;
    private readonly uint _serverTime;

    public RtmpServerHandshake()
        : this(RandomNumberGenerator.Fill, serverTime: 0)
    {
    }

    /// <summary>Deterministic randomness and clock, for byte-exact tests.</summary>
    internal RtmpServerHandshake(Action<Span<byte>> fillRandom, uint serverTime)
    {
        _fillRandom = fillRandom;
        _serverTime = serverTime;
    }

    public RtmpHandshakeState State { get; private set; }

    public RtmpHandshakeKind Kind { get; private set; }

    /// <summary>
    /// Consumes as much of the handshake as <paramref name="input"/> holds and writes S0+S1+S2 to
    /// <paramref name="output"/> once C0+C1 are in. Returns true when the handshake is complete; bytes after
    /// C2 are left in <paramref name="input"/> for the chunk stream reader.
    /// </summary>
    /// <exception cref="RtmpProtocolException">C0 is not version 3.</exception>
    public bool TryAdvance(ref SequenceReader<byte> input, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (State == RtmpHandshakeState.AwaitingC0C1)
        {
            // Refuse a wrong version as soon as its byte arrives rather than after buffering C1.
            if (input.TryPeek(out var version) && version != ProtocolVersion)
            {
                throw new RtmpProtocolException(RtmpProtocolError.UnsupportedVersion, $"C0 requests RTMP version {version}; only {ProtocolVersion} is supported.");
            }

            if (input.Remaining < 1 + PacketSize)
            {
                return false;
            }

            input.Advance(1);
            Span<byte> c1 = stackalloc byte[PacketSize];
            input.TryCopyTo(c1);
            input.Advance(PacketSize);
            WriteResponse(c1, output);
            State = RtmpHandshakeState.AwaitingC2;
        }

        if (State == RtmpHandshakeState.AwaitingC2)
        {
            // C2 is consumed, not verified: clients differ in whether they sign it or echo S1, and nothing in the
            // session depends on it.
            if (input.Remaining < PacketSize)
            {
                return false;
            }

            input.Advance(PacketSize);
            State = RtmpHandshakeState.Completed;
        }

        return true;
    }

    private void WriteResponse(ReadOnlySpan<byte> c1, IBufferWriter<byte> output)
    {
        var response = output.GetSpan(1 + (2 * PacketSize))[..(1 + (2 * PacketSize))];
        response[0] = ProtocolVersion;
        var s1 = response.Slice(1, PacketSize);
        var s2 = response.Slice(1 + PacketSize, PacketSize);

        Kind = DetectKind(c1, out var clientDigestOffset);
        if (Kind == RtmpHandshakeKind.Simple)
        {
            // Section 5.2.3: time, four zero bytes, random. Section 5.2.4: S2 echoes C1's time and random,
            // with time2 the moment we read C1.
            BinaryPrimitives.WriteUInt32BigEndian(s1, _serverTime);
            BinaryPrimitives.WriteUInt32BigEndian(s1[4..], 0);
            _fillRandom(s1[8..]);
            c1.CopyTo(s2);
            BinaryPrimitives.WriteUInt32BigEndian(s2[4..], _serverTime);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(s1, _serverTime);
            BinaryPrimitives.WriteUInt32BigEndian(s1[4..], DigestServerVersion);
            _fillRandom(s1[8..]);
            var serverDigestOffset = DigestOffset(s1, Kind);
            ComputeDigest(s1, serverDigestOffset, ServerKey.AsSpan(0, 36), s1.Slice(serverDigestOffset, DigestLength));

            // S2: random bytes whose last 32 are HMAC(HMAC(full server key, C1 digest), the rest of S2).
            _fillRandom(s2);
            Span<byte> signingKey = stackalloc byte[DigestLength];
            HMACSHA256.HashData(ServerKey, c1.Slice(clientDigestOffset, DigestLength), signingKey);
            HMACSHA256.HashData(signingKey, s2[..^DigestLength], s2[^DigestLength..]);
        }

        output.Advance(response.Length);
    }

    // A client that asks for the digest handshake puts a non-zero version in C1 bytes 4..7 and a digest in one
    // of two places. Anything else, including a version with no valid digest, gets the simple handshake.
    private static RtmpHandshakeKind DetectKind(ReadOnlySpan<byte> c1, out int digestOffset)
    {
        digestOffset = 0;
        if (BinaryPrimitives.ReadUInt32BigEndian(c1[4..]) == 0)
        {
            return RtmpHandshakeKind.Simple;
        }

        Span<byte> expected = stackalloc byte[DigestLength];
        foreach (var kind in (ReadOnlySpan<RtmpHandshakeKind>)[RtmpHandshakeKind.DigestBlockFirst, RtmpHandshakeKind.KeyBlockFirst])
        {
            var offset = DigestOffset(c1, kind);
            ComputeDigest(c1, offset, PlayerKey.AsSpan(0, 30), expected);
            if (CryptographicOperations.FixedTimeEquals(expected, c1.Slice(offset, DigestLength)))
            {
                digestOffset = offset;
                return kind;
            }
        }

        return RtmpHandshakeKind.Simple;
    }

    internal static int DigestOffset(ReadOnlySpan<byte> packet, RtmpHandshakeKind kind)
    {
        var field = kind == RtmpHandshakeKind.DigestBlockFirst ? DigestBlockFirstOffsetField : KeyBlockFirstOffsetField;
        var sum = packet[field] + packet[field + 1] + packet[field + 2] + packet[field + 3];
        return (sum % DigestOffsetModulus) + field + 4;
    }

    // The digest covers the whole packet except the 32 bytes where it sits.
    internal static void ComputeDigest(ReadOnlySpan<byte> packet, int digestOffset, ReadOnlySpan<byte> key, Span<byte> digest)
    {
        Span<byte> message = stackalloc byte[PacketSize - DigestLength];
        packet[..digestOffset].CopyTo(message);
        packet[(digestOffset + DigestLength)..].CopyTo(message[digestOffset..]);
        HMACSHA256.HashData(key, message, digest);
    }

    internal static ReadOnlySpan<byte> ServerKeyBytes => ServerKey;

    internal static ReadOnlySpan<byte> PlayerKeyBytes => PlayerKey;
}
