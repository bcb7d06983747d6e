using System.Collections.Concurrent;

namespace LiveMicro.Interact.Chat;

/// <summary>The chat connections of this instance, by room, by user and by id. Delivering only queues frames
/// (<see cref="ChatConnection.TryEnqueue"/>), so a broadcast costs one pass over the room whatever the clients do.</summary>
public sealed class LocalConnections
{
    private readonly ConcurrentDictionary<long, RoomConnections> _rooms = new();
    private readonly ConcurrentDictionary<long, ConcurrentDictionary<ChatConnection, byte>> _users = new();
    private readonly ConcurrentDictionary<string, ChatConnection> _byId = new(StringComparer.Ordinal);

    public int Count => _byId.Count;

    public IEnumerable<ChatConnection> All => _byId.Select(entry => entry.Value);

    public void Add(ChatConnection connection)
    {
        _byId[connection.Id] = connection;
        _rooms.GetOrAdd(connection.RoomId, _ => new()).Connections[connection] = 0;
        if (connection.UserId is { } userId) _users.GetOrAdd(userId, _ => new())[connection] = 0;
    }

    public void Remove(ChatConnection connection)
    {
        _byId.TryRemove(connection.Id, out _);
        if (_rooms.TryGetValue(connection.RoomId, out var room)) room.Connections.TryRemove(connection, out _);
        if (connection.UserId is { } userId && _users.TryGetValue(userId, out var devices)) devices.TryRemove(connection, out _);
    }

    public ChatConnection? Find(string connectionId) => _byId.GetValueOrDefault(connectionId);

    /// <summary>Hands the frame to the room's broadcaster; answers how many connections it is going to.</summary>
    public int DeliverToRoom(long roomId, ChatFrame frame) =>
        _rooms.TryGetValue(roomId, out var room) ? room.Broadcast(frame) : 0;

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

    /// <summary>A room's connections and its broadcaster: one pass over the room at a time, each pass taking every
    /// frame that arrived meanwhile as one batch, so each connection gets one socket write per pass whatever the
    /// message rate. Lightly loaded, a pass carries one message; when messages come faster than a pass over the room
    /// takes, the batches grow instead of the backlog (the send call, not the message, is what costs).</summary>
    private sealed class RoomConnections : IThreadPoolWorkItem
    {
        private const int MaxBatchFrames = 256;
        private const int MaxBatchBytes = 64 * 1024;
        private readonly ConcurrentQueue<ChatFrame> _outbox = new();
        private ChatFrame? _carried;
        private int _passScheduled;

        public ConcurrentDictionary<ChatConnection, byte> Connections { get; } = new();

        public int Broadcast(ChatFrame frame)
        {
            _outbox.Enqueue(frame);
            if (Interlocked.Exchange(ref _passScheduled, 1) == 0) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            return Connections.Count;
        }

        public void Execute()
        {
            while (true)
            {
                while (TakeBatch() is { } batch) Deliver(Connections, batch);
                Volatile.Write(ref _passScheduled, 0);
                // a frame enqueued after the last take but before the flag was cleared would wait for the next one
                if ((_outbox.IsEmpty && _carried is null) || Interlocked.Exchange(ref _passScheduled, 1) != 0) return;
            }
        }

        /// <summary>The next frame, or the frames waiting (up to a budget), as one batch. Only the pass calls it.</summary>
        private ChatFrame? TakeBatch()
        {
            var first = _carried;
            _carried = null;
            if (first is null && !_outbox.TryDequeue(out first)) return null;
            if (!_outbox.TryDequeue(out var next)) return first;

            List<ChatFrame> frames = [first];
            var bytes = first.Json.Length;
            do
            {
                if (frames.Count == MaxBatchFrames || bytes + next.Json.Length > MaxBatchBytes)
                {
                    _carried = next;
                    break;
                }

                frames.Add(next);
                bytes += next.Json.Length;
            }
            while (_outbox.TryDequeue(out next));

            return frames.Count == 1 ? first : ChatFrame.Batch(frames);
        }
    }
}
