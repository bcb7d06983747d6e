using System.Buffers;
using System.Buffers.Binary;

namespace LiveMicro.Interact.Chat.WebSockets;

/// <summary>The header of a frame from a client (§5.2). <see cref="Mask"/> holds the masking key's four bytes in
/// order, lowest byte first.</summary>
public readonly record struct ClientFrameHeader(bool Fin, WebSocketOpcode Opcode, long PayloadLength, uint Mask, int Length)
{
    public bool IsControl => ((byte)Opcode & 0x8) != 0;
}

public enum FrameHeaderStatus
{
    Read,
    NeedMoreData,
    Invalid,
}

/// <summary>Reads what clients send a server: masked frames, no extensions negotiated.</summary>
public static class WebSocketFrameReader
{
    private const int MaxHeaderLength = 14;

    /// <summary>Reads the header at the start of <paramref name="buffer"/> without consuming anything; on
    /// <see cref="FrameHeaderStatus.Invalid"/>, <paramref name="error"/> says why (the connection must be failed with
    /// 1002).</summary>
    public static FrameHeaderStatus TryReadHeader(ReadOnlySequence<byte> buffer, out ClientFrameHeader header, out string? error)
    {
        header = default;
        error = null;
        if (buffer.Length < 2) return FrameHeaderStatus.NeedMoreData;

        Span<byte> bytes = stackalloc byte[MaxHeaderLength];
        var available = (int)Math.Min(MaxHeaderLength, buffer.Length);
        buffer.Slice(0, available).CopyTo(bytes);
        var fin = (bytes[0] & 0x80) != 0;
        var opcode = (WebSocketOpcode)(bytes[0] & 0x0F);
        if ((bytes[0] & 0x70) != 0)
        {
            error = "reserved bits are set, but no extension was negotiated";
            return FrameHeaderStatus.Invalid;
        }

        if (opcode is not (WebSocketOpcode.Continuation or WebSocketOpcode.Text or WebSocketOpcode.Binary
            or WebSocketOpcode.Close or WebSocketOpcode.Ping or WebSocketOpcode.Pong))
        {
            error = $"unknown opcode 0x{(byte)opcode:X}";
            return FrameHeaderStatus.Invalid;
        }

        if ((bytes[1] & 0x80) == 0)
        {
            error = "frames from a client must be masked";
            return FrameHeaderStatus.Invalid;
        }

        var shortLength = bytes[1] & 0x7F;
        var extended = shortLength switch { 126 => 2, 127 => 8, _ => 0 };
        var length = 2 + extended + 4;
        if (available < length) return FrameHeaderStatus.NeedMoreData;

        long payloadLength = shortLength switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]),
            127 => (long)BinaryPrimitives.ReadUInt64BigEndian(bytes[2..]),
            _ => shortLength,
        };
        if (payloadLength < 0)
        {
            error = "the payload length has its most significant bit set";
            return FrameHeaderStatus.Invalid;
        }

        var isControl = ((byte)opcode & 0x8) != 0;
        if (isControl && (!fin || payloadLength > WebSocketProtocol.MaxControlPayload))
        {
            error = "control frames must be whole and at most 125 bytes";
            return FrameHeaderStatus.Invalid;
        }

        header = new ClientFrameHeader(fin, opcode, payloadLength,
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[(2 + extended)..]), length);
        return FrameHeaderStatus.Read;
    }

    /// <summary>Unmasks (or masks: XOR is its own inverse) payload bytes in place; <paramref name="offset"/> is where
    /// <paramref name="data"/> starts within the frame's payload (§5.3).</summary>
    public static void Unmask(Span<byte> data, uint mask, long offset = 0)
    {
        var shift = (int)(offset & 3) * 8;
        var rotated = shift == 0 ? mask : (mask >> shift) | (mask << (32 - shift));
        var i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            var word = BinaryPrimitives.ReadUInt32LittleEndian(data[i..]) ^ rotated;
            BinaryPrimitives.WriteUInt32LittleEndian(data[i..], word);
        }

        for (; i < data.Length; i++) data[i] ^= (byte)(rotated >> ((i & 3) * 8));
    }
}
