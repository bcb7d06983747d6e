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

    public IEnumerable<ChatConnection> All => _byId.Select(entry => entry.Value);

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
        _rooms.TryGetValue(roomId, out var room) ? Deliver(room, frame) : 0;

    public int DeliverToUser(long userId, ChatFrame frame) =>
        _users.TryGetValue(userId, out var devices) ? Deliver(devices, frame) : 0;

    public int DeliverToAll(ChatFrame frame)
    {
        var delivered = 0;
        foreach (var (_, connection) in _byId)
        {
            if (connection.TryEnqueue(frame)) delivered++;
        }

        return delivered;
    }

    /// <summary>Walks the dictionary itself (lock-free, no snapshot: <c>.Keys</c> would copy 15,000 entries under
    /// every lock of the room per message); the frame's bytes are made once and written to each socket.</summary>
    private static int Deliver(ConcurrentDictionary<ChatConnection, byte> connections, ChatFrame frame)
    {
        var delivered = 0;
        foreach (var (connection, _) in connections)
        {
            if (connection.TryEnqueue(frame)) delivered++;
        }

        return delivered;
    }
}
