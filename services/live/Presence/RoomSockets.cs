using System.Collections.Concurrent;

namespace LiveMicro.Live.Presence;

/// <summary>The room WebSockets open on this instance, by room, so a room message is serialised once and the
/// same bytes are queued on each of them.</summary>
public sealed class RoomSockets
{
    private readonly ConcurrentDictionary<long, ConcurrentDictionary<string, RoomSocket>> _rooms = new();

    public void Add(RoomSocket socket) =>
        _rooms.GetOrAdd(socket.RoomId, _ => new()).TryAdd(socket.ConnectionId, socket);

    public void Remove(RoomSocket socket)
    {
        if (!_rooms.TryGetValue(socket.RoomId, out var sockets)) return;
        sockets.TryRemove(socket.ConnectionId, out _);
        if (sockets.IsEmpty) _rooms.TryRemove(new KeyValuePair<long, ConcurrentDictionary<string, RoomSocket>>(socket.RoomId, sockets));
    }

    public bool HasRoom(long roomId) => _rooms.ContainsKey(roomId);

    public IEnumerable<long> RoomIds => _rooms.Keys;

    public IReadOnlyCollection<RoomSocket> InRoom(long roomId) =>
        _rooms.TryGetValue(roomId, out var sockets) ? (IReadOnlyCollection<RoomSocket>)sockets.Values : [];

    public void Broadcast(long roomId, ReadOnlyMemory<byte> utf8Json)
    {
        if (!_rooms.TryGetValue(roomId, out var sockets)) return;
        foreach (var socket in sockets.Values) socket.Send(utf8Json);
    }
}
