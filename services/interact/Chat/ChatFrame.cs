namespace LiveMicro.Interact.Chat;

public enum ChatProtocol
{
    Json,
    Protobuf,
}

/// <summary>One message on its way to many connections: serialised at most once per protocol, and the same bytes
/// are then written to every connection of that protocol.</summary>
public sealed class ChatFrame
{
    private byte[]? _json;
    private byte[]? _protobuf;

    public ChatFrame(ChatMessage message, long? seq = null, byte[]? json = null)
    {
        Message = message;
        Seq = seq;
        _json = json;
    }

    public ChatMessage Message { get; }

    public long? Seq { get; }

    public ReadOnlyMemory<byte> Json => _json ?? Interlocked.CompareExchange(ref _json, JsonChatCodec.Encode(Message, Seq), null) ?? _json;

    public ReadOnlyMemory<byte> Protobuf =>
        _protobuf ?? Interlocked.CompareExchange(ref _protobuf, ProtobufChatCodec.Encode(Message, Seq), null) ?? _protobuf;

    public ReadOnlyMemory<byte> For(ChatProtocol protocol) => protocol == ChatProtocol.Json ? Json : Protobuf;
}
