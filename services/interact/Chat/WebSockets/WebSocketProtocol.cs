using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace LiveMicro.Interact.Chat.WebSockets;

public enum WebSocketOpcode : byte
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}

/// <summary>The server's side of RFC 6455: the opening handshake's accept key and the frames a server writes. Server
/// frames are never masked (§5.1), so one frame's bytes can be written as they are to every client.</summary>
public static class WebSocketProtocol
{
    public const int MaxControlPayload = 125;
    public const string Version = "13";

    private const int KeyLength = 24;

    // §1.3: the GUID every server appends to the client's key
    private static ReadOnlySpan<byte> KeyGuid => "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8;

    /// <summary>A client's Sec-WebSocket-Key is 16 random bytes in base64 (§4.1).</summary>
    public static bool IsValidKey(string? key)
    {
        if (key is not { Length: KeyLength }) return false;
        Span<byte> decoded = stackalloc byte[18];
        return Convert.TryFromBase64String(key, decoded, out var length) && length == 16;
    }

    /// <summary>Sec-WebSocket-Accept (§4.2.2): base64 of the SHA-1 of the key followed by the GUID.</summary>
    public static string AcceptKey(string key)
    {
        if (!IsValidKey(key)) throw new ArgumentException("Not a Sec-WebSocket-Key.", nameof(key));
        Span<byte> input = stackalloc byte[KeyLength + KeyGuid.Length];
        Encoding.ASCII.GetBytes(key, input);
        KeyGuid.CopyTo(input[KeyLength..]);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input, hash);
        return Convert.ToBase64String(hash);
    }

    /// <summary>The 101 answer to an accepted opening handshake.</summary>
    public static byte[] SwitchingProtocolsResponse(string key, string? subprotocol) =>
        Encoding.ASCII.GetBytes(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            $"Sec-WebSocket-Accept: {AcceptKey(key)}\r\n" +
            (subprotocol is null ? "" : $"Sec-WebSocket-Protocol: {subprotocol}\r\n") +
            "\r\n");

    public static int HeaderLength(int payloadLength) => payloadLength switch
    {
        <= 125 => 2,
        <= ushort.MaxValue => 4,
        _ => 10,
    };

    /// <summary>Writes the header of a final, unmasked frame (§5.2); answers its length.</summary>
    public static int WriteHeader(Span<byte> destination, WebSocketOpcode opcode, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        destination[0] = (byte)(0x80 | (byte)opcode);
        switch (payloadLength)
        {
            case <= 125:
                destination[1] = (byte)payloadLength;
                return 2;
            case <= ushort.MaxValue:
                destination[1] = 126;
                BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
                return 4;
            default:
                destination[1] = 127;
                BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
                return 10;
        }
    }

    /// <summary>One whole frame: header and payload in one array, ready to be written to any number of clients.</summary>
    public static byte[] Frame(WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderLength(payload.Length) + payload.Length];
        var header = WriteHeader(frame, opcode, payload.Length);
        payload.CopyTo(frame.AsSpan(header));
        return frame;
    }

    /// <summary>A close frame (§5.5.1): the status code, then the reason in UTF-8, cut on a character boundary so the
    /// payload stays within the 125 bytes of a control frame.</summary>
    public static byte[] CloseFrame(WebSocketCloseStatus status, string reason)
    {
        Span<byte> payload = stackalloc byte[MaxControlPayload];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)status);
        var length = 2;
        foreach (var rune in reason.EnumerateRunes())
        {
            if (length + rune.Utf8SequenceLength > MaxControlPayload) break;
            length += rune.EncodeToUtf8(payload[length..]);
        }

        return Frame(WebSocketOpcode.Close, payload[..length]);
    }
}
