using System.Diagnostics;

namespace LiveMicro.Bench.Chat;

/// <summary>Latencies in 0.1 ms buckets up to 10 s (the last bucket is "10 s or more"), recorded from any thread
/// without a lock.</summary>
public sealed class LatencyHistogram
{
    private readonly long[] _buckets = new long[100_001];
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public void Record(long elapsedTicks)
    {
        var tenths = elapsedTicks * 10_000 / Stopwatch.Frequency;
        Interlocked.Increment(ref _buckets[Math.Clamp(tenths, 0, _buckets.Length - 1)]);
        Interlocked.Increment(ref _count);
    }

    /// <summary>Milliseconds below which a share <paramref name="p"/> of the recorded latencies fall; NaN when none
    /// was recorded.</summary>
    public double Percentile(double p)
    {
        if (Count == 0) return double.NaN;
        var target = (long)Math.Ceiling(Count * p);
        long seen = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            seen += _buckets[i];
            if (seen >= target && seen > 0) return i / 10.0;
        }

        return (_buckets.Length - 1) / 10.0;
    }
}
