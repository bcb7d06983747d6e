namespace LiveMicro.Gateway.Upstream;

/// <summary>Enforces the deadlines of requests waiting on their destinations: every <see cref="Interval"/> it looks at
/// each connection in use and closes the one whose request ran past its deadline or whose client went away. A
/// request that waits on its connection then fails at once, and <see cref="UpstreamConnection.EndWatch"/> tells the
/// attempt that this was the sweep. A timer and a token registration per request cost a few per cent of the
/// gateway's throughput; a field written per request and one walk every few milliseconds cost nothing measurable,
/// and a deadline is then kept to within <see cref="Interval"/>.</summary>
public sealed class UpstreamDeadlineSweep : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    private readonly List<UpstreamConnectionPool> _pools = [];
    private readonly TimeProvider _time;
    private readonly ITimer _timer;

    public UpstreamDeadlineSweep(TimeProvider time)
    {
        _time = time;
        _timer = time.CreateTimer(static sweep => ((UpstreamDeadlineSweep)sweep!).Sweep(), this, Interval, Interval);
    }

    /// <summary>The clock deadlines are read against.</summary>
    public TimeProvider Time => _time;

    /// <summary>The timestamp <paramref name="timeout"/> from now; a timeout too long to count stays infinite.</summary>
    public long DeadlineAfter(TimeSpan timeout)
    {
        var ticks = timeout.TotalSeconds * _time.TimestampFrequency;
        var now = _time.GetTimestamp();
        return ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks;
    }

    /// <summary>What is left until <paramref name="deadline"/>, zero when it passed.</summary>
    public TimeSpan Remaining(long deadline)
    {
        if (deadline == long.MaxValue) return Timeout.InfiniteTimeSpan;
        var now = _time.GetTimestamp();
        return now >= deadline ? TimeSpan.Zero : _time.GetElapsedTime(now, deadline);
    }

    public void Add(UpstreamConnectionPool pool)
    {
        lock (_pools) _pools.Add(pool);
    }

    public void Remove(UpstreamConnectionPool pool)
    {
        lock (_pools) _pools.Remove(pool);
    }

    public void Dispose() => _timer.Dispose();

    private void Sweep()
    {
        var now = _time.GetTimestamp();
        lock (_pools)
        {
            foreach (var pool in _pools) pool.SweepOverdue(now);
        }
    }
}
