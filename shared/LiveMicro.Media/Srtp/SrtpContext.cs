using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using LiveMicro.Media.Rtp;

namespace LiveMicro.Media.Srtp;

/// <summary>
/// One direction of an SRTP session with the SRTP_AES128_CM_HMAC_SHA1_80 protection profile (RFC 3711, the profile
/// every WebRTC endpoint supports, RFC 5764 section 4.1.2): AES in counter mode over the payload, an 80-bit
/// HMAC-SHA1 tag over the packet and its rollover counter; RTCP the same with its own keys and an explicit index.
/// Packets are protected and unprotected in place. Each SSRC keeps its rollover counter and a 64-packet replay window
/// (RFC 3711 section 3.3.2). Not thread-safe: one context belongs to the loop that reads (or writes) the session.
/// </summary>
public sealed class SrtpContext : IDisposable
{
    public const int MasterKeyLength = 16;
    public const int MasterSaltLength = 14;
    public const int AuthTagLength = 10;
    private const int RtcpHeaderLength = 8;
    private const int SrtcpIndexLength = 4;
    private const int ReplayWindow = 64;

    private readonly SessionKeys _rtp;
    private readonly SessionKeys _rtcp;
    private readonly Dictionary<uint, ReplayState> _rtpStreams = [];
    private readonly Dictionary<uint, ReplayState> _rtcpStreams = [];

    public SrtpContext(ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt)
    {
        if (masterKey.Length != MasterKeyLength || masterSalt.Length != MasterSaltLength)
        {
            throw new ArgumentException($"SRTP_AES128_CM_HMAC_SHA1_80 takes a {MasterKeyLength}-byte key and a {MasterSaltLength}-byte salt.");
        }

        using var master = Aes.Create();
        master.Key = masterKey.ToArray();
        _rtp = new SessionKeys(master, masterSalt, encryptionLabel: 0);
        _rtcp = new SessionKeys(master, masterSalt, encryptionLabel: 3);
    }

    /// <summary>The RTP session keys (RFC 3711 section 4.3, key derivation rate 0), for tests against its vectors.</summary>
    internal (byte[] Encryption, byte[] Authentication, byte[] Salt) RtpKeys => (_rtp.EncryptionKey, _rtp.AuthenticationKey, _rtp.Salt);

    /// <summary>Checks the tag of the SRTP packet in <paramref name="packet"/> and decrypts its payload in place.
    /// False (the packet unchanged) for a packet too short, with a wrong tag, or already received or older than the
    /// replay window; else <paramref name="length"/> is the RTP packet's length, tag removed.</summary>
    public bool TryUnprotectRtp(Span<byte> packet, out int length)
    {
        length = 0;
        if (!TryGetPayloadOffset(packet, AuthTagLength, out var payloadAt)) return false;
        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);
        var sequence = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        ref var state = ref CollectionsMarshal.GetValueRefOrAddDefault(_rtpStreams, ssrc, out var known);
        var rollover = known ? state.EstimateRollover(sequence) : 0u;
        var index = ((ulong)rollover << 16) | sequence;
        if (known && !state.IsFresh(index)) return false;

        var authenticated = packet[..^AuthTagLength];
        Span<byte> tag = stackalloc byte[20];
        Span<byte> roc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(roc, rollover);
        _rtp.Sign(authenticated, roc, tag);
        if (!CryptographicOperations.FixedTimeEquals(tag[..AuthTagLength], packet[^AuthTagLength..]))
        {
            if (!known) _rtpStreams.Remove(ssrc);
            return false;
        }

        state.Accept(index, known);
        _rtp.Crypt(ssrc, index, authenticated[payloadAt..]);
        length = authenticated.Length;
        return true;
    }

    /// <summary>Encrypts the RTP packet in the first <paramref name="length"/> bytes of <paramref name="buffer"/> and
    /// appends its tag; returns the SRTP packet's length. The buffer needs <see cref="AuthTagLength"/> bytes more.</summary>
    public int ProtectRtp(Span<byte> buffer, int length)
    {
        if (!TryGetPayloadOffset(buffer[..length], 0, out var payloadAt) || buffer.Length < length + AuthTagLength)
        {
            throw new ArgumentException("Not an RTP packet with room for its tag.", nameof(buffer));
        }

        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[8..]);
        var sequence = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        ref var state = ref CollectionsMarshal.GetValueRefOrAddDefault(_rtpStreams, ssrc, out var known);
        var rollover = known ? state.EstimateRollover(sequence) : 0u;
        var index = ((ulong)rollover << 16) | sequence;
        state.Accept(index, known);
        _rtp.Crypt(ssrc, index, buffer[payloadAt..length]);
        Span<byte> tag = stackalloc byte[20];
        Span<byte> roc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(roc, rollover);
        _rtp.Sign(buffer[..length], roc, tag);
        tag[..AuthTagLength].CopyTo(buffer[length..]);
        return length + AuthTagLength;
    }

    /// <summary>As <see cref="TryUnprotectRtp"/>, for an SRTCP packet (RFC 3711 section 3.4): the index and E flag
    /// after the compound packet, then the tag. <paramref name="length"/> is the RTCP packet's length.</summary>
    public bool TryUnprotectRtcp(Span<byte> packet, out int length)
    {
        length = 0;
        if (packet.Length < RtcpHeaderLength + SrtcpIndexLength + AuthTagLength || (packet[0] >> 6) != 2) return false;
        var authenticated = packet[..^AuthTagLength];
        var trailer = BinaryPrimitives.ReadUInt32BigEndian(authenticated[^SrtcpIndexLength..]);
        var encrypted = (trailer & 0x80000000) != 0;
        ulong index = trailer & 0x7FFFFFFF;
        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        ref var state = ref CollectionsMarshal.GetValueRefOrAddDefault(_rtcpStreams, ssrc, out var known);
        if (known && !state.IsFresh(index)) return false;

        Span<byte> tag = stackalloc byte[20];
        _rtcp.Sign(authenticated, [], tag);
        if (!CryptographicOperations.FixedTimeEquals(tag[..AuthTagLength], packet[^AuthTagLength..]))
        {
            if (!known) _rtcpStreams.Remove(ssrc);
            return false;
        }

        state.Accept(index, known);
        length = authenticated.Length - SrtcpIndexLength;
        if (encrypted) _rtcp.Crypt(ssrc, index, packet[RtcpHeaderLength..length]);
        return true;
    }

    /// <summary>Encrypts the RTCP packet in the first <paramref name="length"/> bytes of <paramref name="buffer"/>,
    /// appends its index and tag, and returns the SRTCP packet's length. Each SSRC's index counts from 1, as libsrtp
    /// counts it. The buffer needs 14 bytes more.</summary>
    public int ProtectRtcp(Span<byte> buffer, int length)
    {
        if (length < RtcpHeaderLength || buffer.Length < length + SrtcpIndexLength + AuthTagLength)
        {
            throw new ArgumentException("Not an RTCP packet with room for its index and tag.", nameof(buffer));
        }

        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]);
        ref var state = ref CollectionsMarshal.GetValueRefOrAddDefault(_rtcpStreams, ssrc, out _);
        var index = state.NextSendIndex();
        _rtcp.Crypt(ssrc, index, buffer[RtcpHeaderLength..length]);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[length..], 0x80000000 | (uint)index);
        length += SrtcpIndexLength;
        Span<byte> tag = stackalloc byte[20];
        _rtcp.Sign(buffer[..length], [], tag);
        tag[..AuthTagLength].CopyTo(buffer[length..]);
        return length + AuthTagLength;
    }

    public void Dispose()
    {
        _rtp.Dispose();
        _rtcp.Dispose();
    }

    /// <summary>Where the payload of the RTP packet in <paramref name="packet"/> starts, when <paramref name="trailer"/>
    /// bytes (the tag) follow it.</summary>
    private static bool TryGetPayloadOffset(ReadOnlySpan<byte> packet, int trailer, out int offset)
    {
        offset = 0;
        return packet.Length >= trailer && RtpPacket.TryGetHeaderLength(packet[..^trailer], out offset);
    }

    /// <summary>One SSRC's rollover counter, highest index and replay window.</summary>
    private struct ReplayState
    {
        private ulong _highest;
        private ulong _window; // bit i: index _highest - i was received

        /// <summary>RFC 3711 appendix A: the rollover counter that puts <paramref name="sequence"/> nearest the highest
        /// sequence number seen.</summary>
        public readonly uint EstimateRollover(ushort sequence)
        {
            var rollover = (uint)(_highest >> 16);
            var highestSequence = (ushort)_highest;
            if (highestSequence < 32768) return sequence - highestSequence > 32768 && rollover > 0 ? rollover - 1 : rollover;
            return highestSequence - 32768 > sequence ? rollover + 1 : rollover;
        }

        public readonly bool IsFresh(ulong index) =>
            index > _highest || (_highest - index < ReplayWindow && (_window & (1ul << (int)(_highest - index))) == 0);

        public void Accept(ulong index, bool known)
        {
            if (!known)
            {
                (_highest, _window) = (index, 1);
                return;
            }

            if (index > _highest)
            {
                var shift = index - _highest;
                _window = shift >= ReplayWindow ? 1 : (_window << (int)shift) | 1;
                _highest = index;
            }
            else
            {
                _window |= 1ul << (int)(_highest - index);
            }
        }

        public ulong NextSendIndex() => _highest = (_highest + 1) & 0x7FFFFFFF;
    }

    /// <summary>The three keys of RTP or of RTCP (RFC 3711 section 4.3.1), from the master key and salt.</summary>
    private sealed class SessionKeys : IDisposable
    {
        private readonly Aes _cipher = Aes.Create();
        private readonly IncrementalHash _hmac;

        public SessionKeys(Aes master, ReadOnlySpan<byte> masterSalt, byte encryptionLabel)
        {
            EncryptionKey = Derive(master, masterSalt, encryptionLabel, 16);
            AuthenticationKey = Derive(master, masterSalt, (byte)(encryptionLabel + 1), 20);
            Salt = Derive(master, masterSalt, (byte)(encryptionLabel + 2), 14);
            _cipher.Key = EncryptionKey;
            _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, AuthenticationKey);
        }

        public byte[] EncryptionKey { get; }

        public byte[] AuthenticationKey { get; }

        public byte[] Salt { get; }

        /// <summary>AES counter mode (section 4.1.1): block i of the key stream encrypts
        /// (salt * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16) + i.</summary>
        public void Crypt(uint ssrc, ulong index, Span<byte> payload)
        {
            Span<byte> iv = stackalloc byte[16];
            Salt.CopyTo(iv);
            iv[14] = iv[15] = 0;
            Span<byte> word = stackalloc byte[8];
            BinaryPrimitives.WriteUInt32BigEndian(word, ssrc);
            for (var i = 0; i < 4; i++) iv[4 + i] ^= word[i];
            BinaryPrimitives.WriteUInt64BigEndian(word, index); // 48 bits: the top two bytes are zero
            for (var i = 0; i < 6; i++) iv[8 + i] ^= word[2 + i];

            const int chunkBlocks = 64;
            Span<byte> counters = stackalloc byte[16 * chunkBlocks];
            Span<byte> keyStream = stackalloc byte[16 * chunkBlocks];
            var block = 0;
            for (var at = 0; at < payload.Length; at += counters.Length)
            {
                var bytes = Math.Min(counters.Length, payload.Length - at);
                var blocks = (bytes + 15) / 16;
                for (var b = 0; b < blocks; b++, block++)
                {
                    var counter = counters.Slice(16 * b, 16);
                    iv.CopyTo(counter);
                    BinaryPrimitives.WriteUInt16BigEndian(counter[14..], (ushort)block);
                }

                _cipher.EncryptEcb(counters[..(16 * blocks)], keyStream, PaddingMode.None);
                var chunk = payload.Slice(at, bytes);
                for (var i = 0; i < chunk.Length; i++) chunk[i] ^= keyStream[i];
            }
        }

        public void Sign(ReadOnlySpan<byte> message, ReadOnlySpan<byte> rollover, Span<byte> tag)
        {
            _hmac.AppendData(message);
            _hmac.AppendData(rollover);
            _hmac.GetHashAndReset(tag);
        }

        public void Dispose()
        {
            _cipher.Dispose();
            _hmac.Dispose();
        }

        /// <summary>Section 4.3.1 with a key derivation rate of 0: AES-CM under the master key with IV
        /// (master salt XOR (label * 2^48)) * 2^16.</summary>
        private static byte[] Derive(Aes master, ReadOnlySpan<byte> masterSalt, byte label, int length)
        {
            Span<byte> counters = stackalloc byte[32];
            for (var b = 0; b < 2; b++)
            {
                var counter = counters.Slice(16 * b, 16);
                masterSalt.CopyTo(counter);
                counter[7] ^= label;
                counter[14] = 0;
                counter[15] = (byte)b;
            }

            Span<byte> keyStream = stackalloc byte[32];
            master.EncryptEcb(counters, keyStream, PaddingMode.None);
            return keyStream[..length].ToArray();
        }
    }
}
