using System.Net;

namespace LiveMicro.Gateway.Upstream;

/// <summary>How long the connections to a destination live and how long a connect may take; plain ones run on a
/// <see cref="Transport.SocketLoop"/> when <paramref name="OnSocketLoop"/>.</summary>
public sealed record UpstreamConnectionSettings(TimeSpan ConnectTimeout, TimeSpan Lifetime, TimeSpan IdleTimeout, bool OnSocketLoop = false);

/// <summary>The idle keep-alive connections to one destination. The most recently used is handed out first, so a
/// quiet period lets the rest age out; connections idle longer than the idle timeout are closed (the destination
/// may close them first; a request that finds its pooled connection closed is sent again on a new one), and none is
/// kept beyond its lifetime, so a re-addressed destination is picked up. Every connection it opened is shown to the
/// deadline sweep while open.</summary>
public sealed class UpstreamConnectionPool : IDisposable
{
    private readonly Stack<UpstreamConnection> _idle = new();
    private readonly List<UpstreamConnection> _open = [];
    private readonly UpstreamDeadlineSweep _sweep;
    private readonly EndPoint _endPoint;
    private readonly string? _tlsHost;
    private readonly UpstreamConnectionSettings _settings;
    private readonly TimeProvider _time;
    private readonly ITimer _scavenger;
    private bool _disposed;

    /// <param name="address">An absolute http or https URL: scheme, host, port and an optional base path.</param>
    public UpstreamConnectionPool(Uri address, UpstreamConnectionSettings settings, UpstreamDeadlineSweep sweep)
    {
        _settings = settings;
        _sweep = sweep;
        var time = _time = sweep.Time;
        var host = address.IdnHost;
        _endPoint = IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, address.Port) : new DnsEndPoint(host, address.Port);
        _tlsHost = address.Scheme == Uri.UriSchemeHttps ? host : null;
        Authority = address.Authority;
        BasePath = address.AbsolutePath.TrimEnd('/');
        _scavenger = time.CreateTimer(static pool => ((UpstreamConnectionPool)pool!).CloseIdle(), this, settings.IdleTimeout, settings.IdleTimeout);
        sweep.Add(this);
    }

    /// <summary>Keeps the deadlines of the requests on this pool's connections.</summary>
    public UpstreamDeadlineSweep Sweep => _sweep;

    /// <summary>How long a new connection may take, unless the request's deadline comes sooner.</summary>
    public TimeSpan ConnectTimeout => _settings.ConnectTimeout;

    /// <summary>The Host header requests to this destination carry.</summary>
    public string Authority { get; }

    /// <summary>The address's path, prefixed to every forwarded path; empty for none.</summary>
    public string BasePath { get; }

    /// <summary>An idle connection, or a new one, connected within the connect timeout or by
    /// <paramref name="deadline"/>, whichever comes first.</summary>
    public ValueTask<UpstreamConnection> RentAsync(long deadline, CancellationToken cancellationToken)
    {
        var now = _time.GetTimestamp();
        lock (_idle)
        {
            while (_idle.TryPop(out var connection))
            {
                if (_time.GetElapsedTime(connection.IdleSince, now) < _settings.IdleTimeout) return ValueTask.FromResult(connection);
                connection.Dispose();
            }
        }

        return ConnectAsync(deadline, now, cancellationToken);
    }

    private async ValueTask<UpstreamConnection> ConnectAsync(long deadline, long now, CancellationToken cancellationToken)
    {
        var remaining = _sweep.Remaining(deadline);
        var timeout = remaining != Timeout.InfiniteTimeSpan && remaining < _settings.ConnectTimeout ? remaining : _settings.ConnectTimeout;
        var connection = _tlsHost is null && _settings.OnSocketLoop
            ? await UpstreamConnection.ConnectOnLoopAsync(_endPoint, timeout, now, cancellationToken)
            : await UpstreamConnection.ConnectAsync(_endPoint, _tlsHost, timeout, now, cancellationToken);
        lock (_open) _open.Add(connection);
        return connection;
    }

    /// <summary>Closes the connections whose requests are overdue (<see cref="UpstreamDeadlineSweep"/>) and forgets
    /// those closed since the last sweep.</summary>
    internal void SweepOverdue(long now)
    {
        lock (_open)
        {
            for (var i = _open.Count - 1; i >= 0; i--)
            {
                var connection = _open[i];
                if (!connection.IsDisposed)
                {
                    connection.CloseIfOverdue(now);
                    continue;
                }

                _open[i] = _open[^1];
                _open.RemoveAt(_open.Count - 1);
            }
        }
    }

    /// <summary>Takes back a connection whose response was read to its end.</summary>
    public void Return(UpstreamConnection connection)
    {
        var now = _time.GetTimestamp();
        if (_time.GetElapsedTime(connection.CreatedAt, now) >= _settings.Lifetime)
        {
            connection.Dispose();
            return;
        }

        connection.BecomeIdle(now);
        lock (_idle)
        {
            if (!_disposed)
            {
                _idle.Push(connection);
                return;
            }
        }

        connection.Dispose();
    }

    public void Dispose()
    {
        _scavenger.Dispose();
        _sweep.Remove(this);
        lock (_idle)
        {
            _disposed = true;
            while (_idle.TryPop(out var connection)) connection.Dispose();
        }
    }

    private void CloseIdle()
    {
        var now = _time.GetTimestamp();
        List<UpstreamConnection>? expired = null;
        lock (_idle)
        {
            var idle = _idle.ToArray();
            _idle.Clear();
            // from the bottom (the longest idle) up, so those that stay keep their order
            for (var i = idle.Length - 1; i >= 0; i--)
            {
                if (_time.GetElapsedTime(idle[i].IdleSince, now) < _settings.IdleTimeout) _idle.Push(idle[i]);
                else (expired ??= []).Add(idle[i]);
            }
        }

        expired?.ForEach(connection => connection.Dispose());
    }
}
