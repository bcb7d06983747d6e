using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;

namespace LiveMicro.Media.Stun;

/// <summary>The four classes of RFC 8489 section 5, from the two class bits of the message type.</summary>
public enum StunClass
{
    Request = 0,
    Indication = 1,
    SuccessResponse = 2,
    ErrorResponse = 3,
}

public static class StunMethods
{
    public const ushort Binding = 0x001;
}

/// <summary>Attribute types this code reads or writes (RFC 8489 section 18.3, RFC 8445 section 16.1). Types below
/// 0x8000 are comprehension-required: a request carrying one the receiver does not know is refused with 420.</summary>
public static class StunAttributes
{
    public const ushort MappedAddress = 0x0001;
    public const ushort Username = 0x0006;
    public const ushort MessageIntegrity = 0x0008;
    public const ushort ErrorCode = 0x0009;
    public const ushort UnknownAttributes = 0x000A;
    public const ushort XorMappedAddress = 0x0020;
    public const ushort Priority = 0x0024;
    public const ushort UseCandidate = 0x0025;
    public const ushort Software = 0x8022;
    public const ushort Fingerprint = 0x8028;
    public const ushort IceControlled = 0x8029;
    public const ushort IceControlling = 0x802A;

    public static bool IsComprehensionRequired(ushort type) => type < 0x8000;
}

/// <summary>
/// One STUN message read in place from a datagram (RFC 8489 section 5):
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |0 0|     STUN Message Type     |         Message Length        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Magic Cookie                          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     Transaction ID (96 bits)                  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// followed by attributes, each a 16-bit type, a 16-bit length and the value padded to 4 bytes. Only what comes
/// before MESSAGE-INTEGRITY is covered by it, so attributes after it other than FINGERPRINT are not read (section
/// 14.5).
/// </summary>
public readonly ref struct StunMessage
{
    public const int HeaderLength = 20;
    public const uint MagicCookie = 0x2112A442;
    public const int TransactionIdLength = 12;
    public const int MessageIntegrityLength = 20;
    private const uint FingerprintXor = 0x5354554E;

    private readonly ReadOnlySpan<byte> _bytes;
    // where MESSAGE-INTEGRITY's and FINGERPRINT's headers start, or -1
    private readonly int _integrityAt;
    private readonly int _fingerprintAt;

    private StunMessage(ReadOnlySpan<byte> bytes, int integrityAt, int fingerprintAt)
    {
        _bytes = bytes;
        _integrityAt = integrityAt;
        _fingerprintAt = fingerprintAt;
    }

    public ushort Method
    {
        get
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(_bytes);
            return (ushort)((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
        }
    }

    public StunClass Class
    {
        get
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(_bytes);
            return (StunClass)(((type >> 4) & 0x1) | ((type >> 7) & 0x2));
        }
    }

    public ReadOnlySpan<byte> TransactionId => _bytes.Slice(8, TransactionIdLength);

    public bool HasMessageIntegrity => _integrityAt >= 0;

    public bool HasFingerprint => _fingerprintAt >= 0;

    /// <summary>What the first byte of a datagram says it carries (RFC 7983 section 7): STUN is 0-3.</summary>
    public static bool StartsLikeStun(ReadOnlySpan<byte> datagram) => datagram.Length > 0 && datagram[0] < 4;

    /// <summary>False for anything that is not one well-formed STUN message filling the datagram: a short or
    /// misaligned length, a wrong magic cookie, an attribute running past the end, a FINGERPRINT that is not last.</summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out StunMessage message)
    {
        message = default;
        if (datagram.Length < HeaderLength || (datagram[0] & 0xC0) != 0) return false;
        var length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if ((length & 3) != 0 || HeaderLength + length != datagram.Length) return false;
        if (BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) != MagicCookie) return false;

        int integrityAt = -1, fingerprintAt = -1;
        var at = HeaderLength;
        while (at < datagram.Length)
        {
            if (datagram.Length - at < 4 || fingerprintAt >= 0) return false;
            var type = BinaryPrimitives.ReadUInt16BigEndian(datagram[at..]);
            var valueLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[(at + 2)..]);
            var next = at + 4 + Padded(valueLength);
            if (next > datagram.Length) return false;
            if (type == StunAttributes.MessageIntegrity && integrityAt < 0)
            {
                if (valueLength != MessageIntegrityLength) return false;
                integrityAt = at;
            }
            else if (type == StunAttributes.Fingerprint)
            {
                if (valueLength != 4) return false;
                fingerprintAt = at;
            }

            at = next;
        }

        message = new StunMessage(datagram, integrityAt, fingerprintAt);
        return true;
    }

    /// <summary>The first attribute of <paramref name="type"/> that MESSAGE-INTEGRITY covers (or any, without it).</summary>
    public bool TryGetAttribute(ushort type, out ReadOnlySpan<byte> value)
    {
        var end = _integrityAt >= 0 ? _integrityAt : _fingerprintAt >= 0 ? _fingerprintAt : _bytes.Length;
        for (var at = HeaderLength; at < end;)
        {
            var attributeType = BinaryPrimitives.ReadUInt16BigEndian(_bytes[at..]);
            var valueLength = BinaryPrimitives.ReadUInt16BigEndian(_bytes[(at + 2)..]);
            if (attributeType == type)
            {
                value = _bytes.Slice(at + 4, valueLength);
                return true;
            }

            at += 4 + Padded(valueLength);
        }

        value = default;
        return false;
    }

    public bool HasAttribute(ushort type) => TryGetAttribute(type, out _);

    /// <summary>The first comprehension-required attribute not in <paramref name="known"/>, or 0.</summary>
    public ushort FirstUnknownRequiredAttribute(ReadOnlySpan<ushort> known)
    {
        var end = _integrityAt >= 0 ? _integrityAt : _fingerprintAt >= 0 ? _fingerprintAt : _bytes.Length;
        for (var at = HeaderLength; at < end;)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(_bytes[at..]);
            if (StunAttributes.IsComprehensionRequired(type) && !known.Contains(type)) return type;
            at += 4 + Padded(BinaryPrimitives.ReadUInt16BigEndian(_bytes[(at + 2)..]));
        }

        return 0;
    }

    public bool TryGetUInt32(ushort type, out uint value)
    {
        value = 0;
        if (!TryGetAttribute(type, out var bytes) || bytes.Length != 4) return false;
        value = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        return true;
    }

    public bool TryGetUInt64(ushort type, out ulong value)
    {
        value = 0;
        if (!TryGetAttribute(type, out var bytes) || bytes.Length != 8) return false;
        value = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        return true;
    }

    /// <summary>
    /// XOR-MAPPED-ADDRESS (RFC 8489 section 14.2): family 1 (IPv4) or 2 (IPv6), the port XORed with the cookie's top
    /// 16 bits, the address with the cookie (IPv4) or the cookie and the transaction id (IPv6).
    /// </summary>
    public bool TryGetXorMappedAddress(out IPEndPoint endPoint)
    {
        endPoint = null!;
        if (!TryGetAttribute(StunAttributes.XorMappedAddress, out var value) || value.Length < 8) return false;
        var port = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(value[2..]) ^ (MagicCookie >> 16));
        Span<byte> address = stackalloc byte[16];
        var length = value[1] switch { 1 => 4, 2 => 16, _ => 0 };
        if (length == 0 || value.Length != 4 + length) return false;
        address = address[..length];
        Span<byte> mask = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(mask, MagicCookie);
        TransactionId.CopyTo(mask[4..]);
        for (var i = 0; i < length; i++) address[i] = (byte)(value[4 + i] ^ mask[i]);
        endPoint = new IPEndPoint(new IPAddress(address), port);
        return true;
    }

    /// <summary>
    /// MESSAGE-INTEGRITY (RFC 8489 section 14.5): HMAC-SHA1 with <paramref name="key"/> (the short-term password's
    /// bytes in ICE) over the message up to the attribute, the header's length counting up to the attribute's end.
    /// False when the message carries none.
    /// </summary>
    public bool VerifyIntegrity(ReadOnlySpan<byte> key)
    {
        if (_integrityAt < 0) return false;
        Span<byte> expected = stackalloc byte[MessageIntegrityLength];
        ComputeIntegrity(_bytes[.._integrityAt], key, expected);
        return CryptographicOperations.FixedTimeEquals(expected, _bytes.Slice(_integrityAt + 4, MessageIntegrityLength));
    }

    /// <summary>FINGERPRINT (RFC 8489 section 14.7): the CRC-32 of the message up to the attribute, XOR 0x5354554E,
    /// the header's length counting the attribute. False when the message carries none.</summary>
    public bool VerifyFingerprint() =>
        _fingerprintAt >= 0 && BinaryPrimitives.ReadUInt32BigEndian(_bytes[(_fingerprintAt + 4)..]) == ComputeFingerprint(_bytes[.._fingerprintAt]);

    /// <summary><paramref name="message"/> is a message up to where MESSAGE-INTEGRITY goes.</summary>
    internal static void ComputeIntegrity(ReadOnlySpan<byte> message, ReadOnlySpan<byte> key, Span<byte> destination)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, key);
        Span<byte> header = stackalloc byte[HeaderLength];
        message[..HeaderLength].CopyTo(header);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(message.Length - HeaderLength + 4 + MessageIntegrityLength));
        hmac.AppendData(header);
        hmac.AppendData(message[HeaderLength..]);
        hmac.GetHashAndReset(destination);
    }

    /// <summary><paramref name="message"/> is a message up to where FINGERPRINT goes.</summary>
    internal static uint ComputeFingerprint(ReadOnlySpan<byte> message)
    {
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)(message.Length - HeaderLength + 8));
        var crc = Crc32.Append(Crc32.Initial, message[..2]);
        crc = Crc32.Append(crc, length);
        crc = Crc32.Append(crc, message[4..]);
        return Crc32.Finish(crc) ^ FingerprintXor;
    }

    internal static int Padded(int length) => (length + 3) & ~3;
}
