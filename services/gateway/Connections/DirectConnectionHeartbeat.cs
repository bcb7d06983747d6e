using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace LiveMicro.Gateway.Connections;

/// <summary>Once a second, what Kestrel's own heartbeat does for its connections, for those on the direct path:
/// aborts a connection whose deadline passed (idle past the keep-alive timeout, a head arriving too slowly, a client
/// not reading its response) and renews the Date field every response carries.</summary>
internal sealed class DirectConnectionHeartbeat : IDisposable
{
    private static byte[] _dateField = MakeDateField();

    private readonly ConcurrentDictionary<DirectConnection, byte> _connections = new();
    private readonly Timer _timer;

    public DirectConnectionHeartbeat()
    {
        _timer = new Timer(static state => ((DirectConnectionHeartbeat)state!).Beat(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary><c>Date: {now, RFC 9110 IMF-fixdate}</c> CRLF, to the second.</summary>
    public static ReadOnlySpan<byte> DateField => Volatile.Read(ref _dateField);

    public static long Now => Environment.TickCount64;

    public void Add(DirectConnection connection) => _connections.TryAdd(connection, 0);

    public void Remove(DirectConnection connection) => _connections.TryRemove(connection, out _);

    public void Dispose() => _timer.Dispose();

    private void Beat()
    {
        Volatile.Write(ref _dateField, MakeDateField());
        var now = Now;
        foreach (var (connection, _) in _connections)
        {
            if (connection.Deadline < now) connection.TimeOut();
        }
    }

    private static byte[] MakeDateField() =>
        Encoding.ASCII.GetBytes($"Date: {DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture)}\r\n");
}
