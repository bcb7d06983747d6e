using System.Collections.Concurrent;

namespace LiveMicro.Interact.Chat;

/// <summary>The chat connections of this instance, by room, by user and by id. Delivering only queues frames
/// (<see cref="ChatConnection.TryEnqueue"/>), so a broadcast costs one pass over the room whatever the clients do.</summary>
public sealed class LocalConnections
{
    private readonly ConcurrentDictionary<long, ConcurrentDictionary<ChatConnection, byte>> _rooms = new();
    private readonly ConcurrentDictionary<long, ConcurrentDictionary<ChatConnection, byte>> _users = new();
    private readonly ConcurrentDictionary<string, ChatConnection> _byId = new(StringComparer.Ordinal);

    public int Count => _byId.Count;

    public IEnumerable<ChatConnection> All => _byId.Values;

    public void Add(ChatConnection connection)
    {
        _byId[connection.Id] = connection;
        _rooms.GetOrAdd(connection.RoomId, _ => new())[connection] = 0;
        if (connection.UserId is { } userId) _users.GetOrAdd(userId, _ => new())[connection] = 0;
    }

    public void Remove(ChatConnection connection)
    {
        _byId.TryRemove(connection.Id, out _);
        if (_rooms.TryGetValue(connection.RoomId, out var room)) room.TryRemove(connection, out _);
        if (connection.UserId is { } userId && _users.TryGetValue(userId, out var devices)) devices.TryRemove(connection, out _);
    }

    public ChatConnection? Find(string connectionId) => _byId.GetValueOrDefault(connectionId);

    public int DeliverToRoom(long roomId, ChatFrame frame) =>
        _rooms.TryGetValue(roomId, out var room) ? Deliver(room.Keys, frame) : 0;

    public int DeliverToUser(long userId, ChatFrame frame) =>
        _users.TryGetValue(userId, out var devices) ? Deliver(devices.Keys, frame) : 0;

    public int DeliverToAll(ChatFrame frame) => Deliver(_byId.Values, frame);

    private static int Deliver(IEnumerable<ChatConnection> connections, ChatFrame frame)
    {
        var delivered = 0;
        foreach (var connection in connections)
        {
            if (connection.TryEnqueue(frame)) delivered++;
        }

        return delivered;
    }
}
