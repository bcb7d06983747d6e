using LiveMicro.Interact.Chat.WebSockets;

namespace LiveMicro.Interact.Chat;

public enum ChatProtocol
{
    Json,
    Protobuf,
}

/// <summary>One message on its way to many connections: serialised at most once per protocol into a whole WebSocket
/// frame (text for JSON, binary for protobuf), and the same frame bytes are then written to every connection of that
/// protocol.</summary>
public sealed class ChatFrame
{
    private readonly ChatMessage? _message;
    private readonly long? _seq;
    private byte[]? _json;
    private byte[]? _jsonFrame;
    private byte[]? _protobufFrame;

    public ChatFrame(ChatMessage message, long? seq = null, byte[]? json = null)
    {
        _message = message;
        _seq = seq;
        _json = json;
    }

    private ChatFrame(byte[] controlFrame)
    {
        _jsonFrame = controlFrame;
        _protobufFrame = controlFrame;
    }

    /// <summary>A WebSocket control frame (pong, close), the same for either protocol.</summary>
    public static ChatFrame Control(byte[] frame) => new(frame);

    /// <summary>The JSON payload (what the backplane carries between instances).</summary>
    public byte[] Json => _json ?? Interlocked.CompareExchange(ref _json, JsonChatCodec.Encode(Message, _seq), null) ?? _json;

    public ReadOnlyMemory<byte> For(ChatProtocol protocol) => protocol == ChatProtocol.Json
        ? _jsonFrame ?? Interlocked.CompareExchange(ref _jsonFrame, WebSocketProtocol.Frame(WebSocketOpcode.Text, Json), null) ?? _jsonFrame
        : _protobufFrame ?? Interlocked.CompareExchange(ref _protobufFrame,
            WebSocketProtocol.Frame(WebSocketOpcode.Binary, ProtobufChatCodec.Encode(Message, _seq)), null) ?? _protobufFrame;

    private ChatMessage Message => _message ?? throw new InvalidOperationException("A control frame carries no chat message.");
}
