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
        _rooms.GetOrAdd(connection.RoomId, _ => new()).Add(connection);
        if (connection.UserId is { } userId) _users.GetOrAdd(userId, _ => new())[connection] = 0;
    }

    public void Remove(ChatConnection connection)
    {
        _byId.TryRemove(connection.Id, out _);
        if (_rooms.TryGetValue(connection.RoomId, out var room)) room.Remove(connection);
        if (connection.UserId is { } userId && _users.TryGetValue(userId, out var devices)) devices.TryRemove(connection, out _);
    }

    public ChatConnection? Find(string connectionId) => _byId.GetValueOrDefault(connectionId);

    /// <summary>Hands the frame to the room's broadcaster; answers how many connections it is going to.</summary>
    public int DeliverToRoom(long roomId, ChatFrame frame) =>
        _rooms.TryGetValue(roomId, out var room) ? room.Broadcast(frame) : 0;

    public int DeliverToUser(long userId, ChatFrame frame) =>
        _users.TryGetValue(userId, out var devices) ? Deliver(devices, frame) : 0;

    /// <summary>Hands the frame to every room's broadcaster (a premium gift): answers at once, and each room gets it
    /// in order with its own messages.</summary>
    public int DeliverToAll(ChatFrame frame)
    {
        var delivered = 0;
        foreach (var (_, room) in _rooms) delivered += room.Broadcast(frame);
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
    /// takes, the batches grow instead of the backlog (the send call, not the message, is what costs). The room is
    /// split into one shard per processor and a pass walks the shards in parallel.</summary>
    private sealed class RoomConnections
    {
        private const int MaxBatchFrames = 256;
        private const int MaxBatchBytes = 64 * 1024;
        private readonly ConcurrentQueue<ChatFrame> _outbox = new();
        private readonly Shard[] _shards;
        private ChatFrame? _carried;
        private ChatFrame? _passing;
        private int _passScheduled;
        private int _shardsWalking;

        public RoomConnections()
        {
            _shards = new Shard[Environment.ProcessorCount];
            for (var i = 0; i < _shards.Length; i++) _shards[i] = new Shard(this);
        }

        public void Add(ChatConnection connection) => ShardOf(connection).Connections[connection] = 0;

        public void Remove(ChatConnection connection) => ShardOf(connection).Connections.TryRemove(connection, out _);

        public int Broadcast(ChatFrame frame)
        {
            _outbox.Enqueue(frame);
            if (Interlocked.Exchange(ref _passScheduled, 1) == 0) StartPass();
            var connections = 0;
            foreach (var shard in _shards) connections += shard.Connections.Count;
            return connections;
        }

        private Shard ShardOf(ChatConnection connection) =>
            _shards[(uint)System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(connection) % (uint)_shards.Length];

        /// <summary>Called with the pass flag held: walks the next batch, or lets go of the flag when there is none.</summary>
        private void StartPass()
        {
            while (true)
            {
                if (TakeBatch() is { } batch)
                {
                    _passing = batch;
                    Volatile.Write(ref _shardsWalking, _shards.Length);
                    foreach (var shard in _shards) ThreadPool.UnsafeQueueUserWorkItem(shard, preferLocal: false);
                    return;
                }

                Volatile.Write(ref _passScheduled, 0);
                // a frame enqueued after the last take but before the flag was let go would wait for the next one
                if (_outbox.IsEmpty || Interlocked.Exchange(ref _passScheduled, 1) != 0) return;
            }
        }

        /// <summary>The last shard to finish a pass starts the next.</summary>
        private void ShardWalked()
        {
            if (Interlocked.Decrement(ref _shardsWalking) == 0) StartPass();
        }

        private sealed class Shard(RoomConnections room) : IThreadPoolWorkItem
        {
            public ConcurrentDictionary<ChatConnection, byte> Connections { get; } = new();

            public void Execute()
            {
                Deliver(Connections, room._passing!);
                room.ShardWalked();
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
