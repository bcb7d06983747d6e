using System.Buffers;
using System.Text.Json;

namespace LiveMicro.Interact.Chat;

/// <summary>The JSON protocol (the default, or subprotocol <c>livemicro.json</c>; text frames):
/// <c>{"type": "...", "seq": 1, "data": {...}}</c>. <c>seq</c> is set by a client on a request and echoed on the
/// server's answer (<c>ack</c>, <c>error</c>, <c>userlist</c>); pushed messages carry none.</summary>
public static class JsonChatCodec
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static byte[] Encode(ChatMessage message, long? seq = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", message.Type);
            if (seq is { } value) writer.WriteNumber("seq", value);
            writer.WritePropertyName("data");
            JsonSerializer.Serialize(writer, message, message.GetType(), Options);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a server envelope back (for the backplane and for clients such as the tests).</summary>
    /// <exception cref="JsonException">Not a server envelope.</exception>
    public static (ChatMessage Message, long? Seq) DecodeServer(ReadOnlySpan<byte> json)
    {
        var envelope = JsonSerializer.Deserialize<RawEnvelope>(json, Options) ?? throw new JsonException("empty envelope");
        if (envelope.Type is null || !ChatMessageTypes.DataTypes.TryGetValue(envelope.Type, out var dataType))
        {
            throw new JsonException($"unknown message type '{envelope.Type}'");
        }

        var message = envelope.Data.Deserialize(dataType, Options) as ChatMessage
                      ?? throw new JsonException($"no data for '{envelope.Type}'");
        return (message, envelope.Seq);
    }

    /// <summary>A client request; null with a reason when it is not one.</summary>
    public static ChatRequest? DecodeRequest(ReadOnlySpan<byte> json, out string? error)
    {
        error = null;
        RawEnvelope? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize<RawEnvelope>(json, Options);
        }
        catch (JsonException e)
        {
            error = $"Not a JSON envelope: {e.Message}";
            return null;
        }

        if (envelope?.Type is not { Length: > 0 } type)
        {
            error = "The envelope has no type.";
            return null;
        }

        RawRequestData? data = null;
        if (envelope.Data.ValueKind == JsonValueKind.Object)
        {
            try
            {
                data = envelope.Data.Deserialize<RawRequestData>(Options);
            }
            catch (JsonException e)
            {
                error = $"Bad data for '{type}': {e.Message}";
                return null;
            }
        }

        return new ChatRequest(type, envelope.Seq, data?.Text, data?.UserId, data?.Seconds, data?.After, data?.Limit);
    }

    private sealed record RawEnvelope(string? Type, long? Seq, JsonElement Data);

    private sealed record RawRequestData(string? Text, long? UserId, int? Seconds, long? After, int? Limit);
}
