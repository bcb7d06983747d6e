using System.Text.Json;

namespace LiveMicro.Live.Presence;

/// <summary>What the room WebSocket sends, as UTF-8 JSON: <c>{"type": ..., ...}</c>. Documented in the README.</summary>
public static class RoomMessages
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static byte[] State(long roomId, string status, long viewerCount, long? userId, bool isOwner) =>
        Serialize(new { type = "state", roomId, status, viewerCount, userId, isOwner });

    public static byte[] Viewers(long roomId, long viewerCount) => Serialize(new { type = "viewers", roomId, viewerCount });

    public static byte[] Status(long roomId, string status) => Serialize(new { type = "status", roomId, status });

    public static byte[] Pong(long? seq) => Serialize(new { type = "pong", seq });

    public static byte[] Error(long? seq, string code, string message) => Serialize(new { type = "error", seq, code, message });

    private static byte[] Serialize<T>(T message) => JsonSerializer.SerializeToUtf8Bytes(message, Json);
}
