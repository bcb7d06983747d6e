using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace LiveMicro.Bench.Chat;

/// <summary>Which connection got which gift frame, how often and when it first arrived.</summary>
public sealed class GiftDeliveries(int connections)
{
    private readonly long[] _firstArrival = new long[connections];
    private readonly int[] _count = new int[connections];
    private int _distinct;

    public int Connections => connections;

    /// <summary>Connections that got the gift at least once.</summary>
    public int Distinct => Volatile.Read(ref _distinct);

    public void Record(int connection, long receivedAt)
    {
        if (Interlocked.Increment(ref _count[connection]) != 1) return;
        _firstArrival[connection] = receivedAt;
        Interlocked.Increment(ref _distinct);
    }

    public int CountAt(int connection) => Volatile.Read(ref _count[connection]);

    public long FirstArrivalAt(int connection) => _firstArrival[connection];
}

/// <summary>The frame handler of the gift benchmarks: counts each connection's welcome and every gift frame by its
/// transaction id (the id a gift's HTTP answer names).</summary>
public sealed class GiftFrames(int connections)
{
    private readonly ConcurrentDictionary<long, GiftDeliveries> _gifts = new();
    private int _welcomed;
    private int _unreadable;

    /// <summary>Connections that got their welcome frame (sent right before the server adds them to the room).</summary>
    public int Welcomed => Volatile.Read(ref _welcomed);

    /// <summary>Gift frames without a transaction id.</summary>
    public int Unreadable => Volatile.Read(ref _unreadable);

    public IReadOnlyDictionary<long, GiftDeliveries> ByTransaction => _gifts;

    public GiftDeliveries For(long transactionId) => _gifts.GetOrAdd(transactionId, _ => new GiftDeliveries(connections));

    public void OnFrame(int connection, ReadOnlySpan<byte> payload, long receivedAt)
    {
        if (payload.StartsWith("{\"type\":\"gift\""u8))
        {
            if (JsonNumbers.Find(payload, "\"transactionId\":"u8) is { } transactionId) For(transactionId).Record(connection, receivedAt);
            else Interlocked.Increment(ref _unreadable);
        }
        else if (payload.StartsWith("{\"type\":\"welcome\""u8))
        {
            Interlocked.Increment(ref _welcomed);
        }
    }
}

/// <summary>Many guest viewers' chat sockets, opened 250 at a time. A viewer whose handshake fails is counted and left
/// out, so that the run still reports what the others saw.</summary>
public sealed class ViewerSockets(IPAddress host, int port, FrameReceiver receiver)
{
    private readonly List<Socket> _sockets = [];
    private int _failed;

    public int Failed => _failed;

    public string? FirstError { get; private set; }

    /// <summary>Per viewer index: whether its socket is open.</summary>
    public bool[] Connected { get; private set; } = [];

    /// <param name="pathOf">The chat path (<c>/ws/chat/{room}</c>) of the viewer with this index.</param>
    public async Task OpenAsync(int count, Func<int, string> pathOf)
    {
        var opened = new Socket?[count];
        for (var i = 0; i < count; i += 250)
        {
            await Task.WhenAll(Enumerable.Range(i, Math.Min(250, count - i)).Select(async j =>
            {
                try
                {
                    var (socket, leftover) = await WebSocketHandshake.ConnectAsync(host, port, pathOf(j), j);
                    opened[j] = socket;
                    _ = receiver.ReceiveLoopAsync(socket, j, leftover);
                }
                catch (Exception e) when (e is SocketException or IOException)
                {
                    if (Interlocked.Increment(ref _failed) == 1) FirstError = $"viewer {j}: {e.Message}";
                }
            }));
        }

        Connected = opened.Select(s => s is not null).ToArray();
        _sockets.AddRange(opened.OfType<Socket>());
    }

    public void CloseAll()
    {
        receiver.Stopping = true;
        foreach (var socket in _sockets) socket.Close(0);
    }
}

/// <summary><c>name=value</c> arguments.</summary>
public sealed class NamedArguments(IEnumerable<string> args)
{
    private readonly Dictionary<string, string> _values = args.Select(a => a.Split('=', 2))
        .ToDictionary(p => p[0], p => p.Length == 2 ? p[1] : "", StringComparer.Ordinal);

    public string Text(string name, string? fallback = null) =>
        _values.TryGetValue(name, out var value) ? value
        : fallback ?? throw new ArgumentException($"missing argument {name}=...");

    public int Number(string name, int? fallback = null) =>
        _values.TryGetValue(name, out var value) ? int.Parse(value, System.Globalization.CultureInfo.InvariantCulture)
        : fallback ?? throw new ArgumentException($"missing argument {name}=...");

    public Uri Url(string name) => new(Text(name));
}
