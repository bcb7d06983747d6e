using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LiveMicro.Media.Stun;

/// <summary>Writes one STUN message into a caller's buffer (a datagram's worth, 548 bytes hold any message ICE
/// sends): the header, then attributes in order, then optionally MESSAGE-INTEGRITY and FINGERPRINT, which must come
/// last in that order. Padding is zeros. Throws <see cref="ArgumentException"/> when the buffer is too small.</summary>
public ref struct StunMessageWriter
{
    private readonly Span<byte> _buffer;
    private int _length;

    public StunMessageWriter(Span<byte> buffer, ushort method, StunClass messageClass, ReadOnlySpan<byte> transactionId)
    {
        if (transactionId.Length != StunMessage.TransactionIdLength)
        {
            throw new ArgumentException("A STUN transaction id is 12 bytes.", nameof(transactionId));
        }

        _buffer = buffer;
        Require(StunMessage.HeaderLength);
        var @class = (int)messageClass;
        var type = (method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) | ((@class & 1) << 4) | ((@class & 2) << 7);
        BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)type);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], StunMessage.MagicCookie);
        transactionId.CopyTo(buffer[8..]);
        _length = StunMessage.HeaderLength;
        SetLength();
    }

    /// <summary>The message so far, its length field up to date.</summary>
    public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

    public void Add(ushort type, scoped ReadOnlySpan<byte> value) => value.CopyTo(Start(type, value.Length));

    /// <summary>With padding of <paramref name="padding"/> instead of zeros: any value is allowed, and RFC 5769's
    /// vectors pad with spaces, which MESSAGE-INTEGRITY and FINGERPRINT then cover.</summary>
    internal void Add(ushort type, scoped ReadOnlySpan<byte> value, byte padding) => value.CopyTo(Start(type, value.Length, padding));

    public void AddText(ushort type, string text)
    {
        var value = Start(type, Encoding.UTF8.GetByteCount(text));
        Encoding.UTF8.GetBytes(text, value);
    }

    public void AddUInt32(ushort type, uint value) => BinaryPrimitives.WriteUInt32BigEndian(Start(type, 4), value);

    public void AddUInt64(ushort type, ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Start(type, 8), value);

    /// <summary>XOR-MAPPED-ADDRESS (RFC 8489 section 14.2), the peer's address as this side saw it.</summary>
    public void AddXorMappedAddress(IPEndPoint endPoint)
    {
        var address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        var length = address.AddressFamily == AddressFamily.InterNetwork ? 4 : 16;
        var value = Start(StunAttributes.XorMappedAddress, 4 + length);
        var transactionId = _buffer.Slice(8, StunMessage.TransactionIdLength);
        value[0] = 0;
        value[1] = (byte)(length == 4 ? 1 : 2);
        BinaryPrimitives.WriteUInt16BigEndian(value[2..], (ushort)(endPoint.Port ^ (StunMessage.MagicCookie >> 16)));
        address.TryWriteBytes(value[4..], out _);
        Span<byte> mask = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(mask, StunMessage.MagicCookie);
        transactionId.CopyTo(mask[4..]);
        for (var i = 0; i < length; i++) value[4 + i] ^= mask[i];
    }

    /// <summary>ERROR-CODE (RFC 8489 section 14.8): class and number of <paramref name="code"/> (300-699), then the
    /// reason phrase.</summary>
    public void AddErrorCode(int code, string reason)
    {
        var value = Start(StunAttributes.ErrorCode, 4 + Encoding.UTF8.GetByteCount(reason));
        value[..2].Clear();
        value[2] = (byte)(code / 100);
        value[3] = (byte)(code % 100);
        Encoding.UTF8.GetBytes(reason, value[4..]);
    }

    public void AddMessageIntegrity(scoped ReadOnlySpan<byte> key)
    {
        var message = _length;
        var value = Start(StunAttributes.MessageIntegrity, StunMessage.MessageIntegrityLength);
        StunMessage.ComputeIntegrity(_buffer[..message], key, value);
    }

    public void AddFingerprint()
    {
        var message = _length;
        var value = Start(StunAttributes.Fingerprint, 4);
        BinaryPrimitives.WriteUInt32BigEndian(value, StunMessage.ComputeFingerprint(_buffer[..message]));
    }

    private Span<byte> Start(ushort type, int valueLength, byte padding = 0)
    {
        var padded = StunMessage.Padded(valueLength);
        Require(_length + 4 + padded);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_length..], type);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[(_length + 2)..], (ushort)valueLength);
        var value = _buffer.Slice(_length + 4, valueLength);
        _buffer.Slice(_length + 4 + valueLength, padded - valueLength).Fill(padding);
        _length += 4 + padded;
        SetLength();
        return value;
    }

    private readonly void SetLength() =>
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(_length - StunMessage.HeaderLength));

    private readonly void Require(int length)
    {
        if (length > _buffer.Length || length - StunMessage.HeaderLength > ushort.MaxValue)
        {
            throw new ArgumentException($"A STUN message of {length} bytes does not fit the buffer of {_buffer.Length}.");
        }
    }
}
