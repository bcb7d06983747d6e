using LiveMicro.Interact.Chat.WebSockets;

namespace LiveMicro.Interact.Chat;

public enum ChatProtocol
{
    Json,
    Protobuf,
}

/// <summary>What goes out to many connections: serialised at most once per protocol into whole WebSocket frames (text
/// for JSON, binary for protobuf), and the same bytes are then written to every connection of that protocol. It is
/// one chat message, a control frame, or a batch of messages sent back to back in one write.</summary>
public sealed class ChatFrame
{
    private readonly ChatMessage? _message;
    private readonly long? _seq;
    private readonly IReadOnlyList<ChatFrame>? _batch;
    private byte[]? _json;
    private byte[]? _jsonFrames;
    private byte[]? _protobufFrames;

    public ChatFrame(ChatMessage message, long? seq = null, byte[]? json = null)
    {
        _message = message;
        _seq = seq;
        _json = json;
    }

    private ChatFrame(byte[] controlFrame)
    {
        _jsonFrames = controlFrame;
        _protobufFrames = controlFrame;
    }

    private ChatFrame(IReadOnlyList<ChatFrame> batch) => _batch = batch;

    /// <summary>A WebSocket control frame (pong, close), the same for either protocol.</summary>
    public static ChatFrame Control(byte[] frame) => new(frame);

    /// <summary>Several messages that go out back to back in one write.</summary>
    public static ChatFrame Batch(IReadOnlyList<ChatFrame> frames) => new(frames);

    /// <summary>The JSON payload of a message (what the backplane carries between instances).</summary>
    public byte[] Json => _json ?? Interlocked.CompareExchange(ref _json, JsonChatCodec.Encode(Message, _seq), null) ?? _json;

    public ReadOnlyMemory<byte> For(ChatProtocol protocol) => protocol == ChatProtocol.Json
        ? _jsonFrames ?? Interlocked.CompareExchange(ref _jsonFrames, Encode(protocol), null) ?? _jsonFrames
        : _protobufFrames ?? Interlocked.CompareExchange(ref _protobufFrames, Encode(protocol), null) ?? _protobufFrames;

    private ChatMessage Message => _message ?? throw new InvalidOperationException("Not a single chat message.");

    private byte[] Encode(ChatProtocol protocol)
    {
        if (_batch is null)
        {
            return protocol == ChatProtocol.Json
                ? WebSocketProtocol.Frame(WebSocketOpcode.Text, Json)
                : WebSocketProtocol.Frame(WebSocketOpcode.Binary, ProtobufChatCodec.Encode(Message, _seq));
        }

        var length = 0;
        foreach (var frame in _batch) length += frame.For(protocol).Length;
        var frames = new byte[length];
        var offset = 0;
        foreach (var frame in _batch)
        {
            var bytes = frame.For(protocol);
            bytes.Span.CopyTo(frames.AsSpan(offset));
            offset += bytes.Length;
        }

        return frames;
    }
}
