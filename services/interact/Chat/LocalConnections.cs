using System.Collections.Concurrent;

namespace LiveMicro.Interact.Chat;

/// <summary>The chat connections of this instance, by room, by user and by id. Delivering only queues frames
/// (<see cref="ChatConnection.TryEnqueue"/>), so a broadcast costs one walk over the room whatever the clients do. A
/// room or user with no connection left here is forgotten, so an instance that has seen millions of rooms holds only
/// the ones it serves.</summary>
public sealed class LocalConnections
{
    private readonly ConcurrentDictionary<long, RoomConnections> _rooms = new();
    private readonly ConcurrentDictionary<long, ConcurrentDictionary<ChatConnection, byte>> _users = new();
    private readonly ConcurrentDictionary<string, ChatConnection> _byId = new(StringComparer.Ordinal);
    // joins and leaves only (never deliveries): an emptied room or user is removed while no one is joining it
    private readonly Lock _membership = new();

    public int Count => _byId.Count;

    /// <summary>Rooms with at least one connection here.</summary>
    public int RoomCount => _rooms.Count;

    public IEnumerable<ChatConnection> All => _byId.Select(entry => entry.Value);

    public void Add(ChatConnection connection)
    {
        _byId[connection.Id] = connection;
        lock (_membership)
        {
            _rooms.GetOrAdd(connection.RoomId, _ => new()).Add(connection);
            if (connection.UserId is { } userId) _users.GetOrAdd(userId, _ => new())[connection] = 0;
        }
    }

    public void Remove(ChatConnection connection)
    {
        _byId.TryRemove(connection.Id, out _);
        lock (_membership)
        {
            if (_rooms.TryGetValue(connection.RoomId, out var room) && room.Remove(connection) && room.IsEmpty)
            {
                _rooms.TryRemove(connection.RoomId, out _);
            }

            if (connection.UserId is { } userId && _users.TryGetValue(userId, out var devices) &&
                devices.TryRemove(connection, out _) && devices.IsEmpty)
            {
                _users.TryRemove(userId, out _);
            }
        }
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

    /// <summary>A room's connections and its broadcaster. Broadcasts go into the room's <see cref="RoomLog"/>; each
    /// shard of the room (one per processor) walks its connections round and round while any of them is behind, and
    /// gives each connection everything it has not had yet in one socket write. A message that arrives while a walk is
    /// under way goes to the rest of that walk at once and to the connections already passed on the next, so it reaches
    /// every connection within one walk over the room, however busy the room is; when messages come faster than a walk
    /// takes, each write carries more of them instead of the backlog growing (the send call, not the message, is what
    /// costs).</summary>
    private sealed class RoomConnections
    {
        private readonly RoomLog _log;
        private readonly Shard[] _shards;

        public RoomConnections()
        {
            _shards = new Shard[Environment.ProcessorCount];
            _log = new RoomLog(_shards.Length);
            for (var i = 0; i < _shards.Length; i++) _shards[i] = new Shard(_log, i);
        }

        public void Add(ChatConnection connection) => ShardOf(connection).Add(connection);

        public bool Remove(ChatConnection connection) => ShardOf(connection).Connections.TryRemove(connection, out _);

        public bool IsEmpty => _shards.All(shard => shard.Connections.IsEmpty);

        public int Broadcast(ChatFrame frame)
        {
            _log.Append(frame);
            var connections = 0;
            foreach (var shard in _shards)
            {
                shard.Schedule();
                connections += shard.Connections.Count;
            }

            return connections;
        }

        private Shard ShardOf(ChatConnection connection) =>
            _shards[(uint)System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(connection) % (uint)_shards.Length];

        private sealed class Shard(RoomLog log, int index) : IThreadPoolWorkItem
        {
            private const int MaxBatchFrames = 128;
            private readonly PendingFrames _pending = new(log);
            private readonly Lock _joining = new();
            private int _scheduled;

            public ConcurrentDictionary<ChatConnection, byte> Connections { get; } = new();

            /// <summary>The connection gets what is broadcast after its arrival. Under the lock a walk reads its start
            /// with, so a walk either sees the connection placed or started before it arrived: either way, when the walk
            /// tells the log it is past its start, so is the newcomer.</summary>
            public void Add(ChatConnection connection)
            {
                lock (_joining)
                {
                    connection.RoomPosition = log.Head;
                    Connections[connection] = 0;
                }
            }

            public void Schedule()
            {
                if (Interlocked.Exchange(ref _scheduled, 1) == 0) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }

            /// <summary>One walk over the shard; queues the next if the room moved on meanwhile (a work item per walk, so
            /// a busy room does not keep a pool thread to itself).</summary>
            public void Execute()
            {
                long start;
                lock (_joining) start = log.Head;
                foreach (var (connection, _) in Connections)
                {
                    var from = connection.RoomPosition;
                    var to = log.Head;
                    if (from >= to) continue;
                    connection.RoomPosition = to;
                    while (from < to)
                    {
                        var upTo = Math.Min(to, from + MaxBatchFrames);
                        if (!connection.TryEnqueue(_pending.Frames(from, upTo))) break;
                        from = upTo;
                    }
                }

                // every connection has had everything before the walk's start
                log.Advance(index, start);
                if (log.Head != start) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                else
                {
                    Volatile.Write(ref _scheduled, 0);
                    // a frame appended after the check but before the flag was let go would wait for the next one
                    if (log.Head != start) Schedule();
                }
            }
        }
    }

    /// <summary>The frames from one log position to another as one <see cref="ChatFrame"/>, made once for all the
    /// connections of a walk that need the same stretch (most of a room needs exactly the same).</summary>
    private sealed class PendingFrames(RoomLog log)
    {
        private long _from = -1;
        private long _to = -1;
        private ChatFrame? _frames;

        public ChatFrame Frames(long from, long to)
        {
            if (from == _from && to == _to) return _frames!;
            ChatFrame frames;
            if (to - from == 1) frames = log.At(from);
            else
            {
                var batch = new ChatFrame[to - from];
                for (var i = 0; i < batch.Length; i++) batch[i] = log.At(from + i);
                frames = ChatFrame.Batch(batch);
            }

            (_from, _to, _frames) = (from, to, frames);
            return frames;
        }
    }
}
