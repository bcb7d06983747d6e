using System.Collections.Concurrent;

namespace LiveMicro.Gateway.Forwarding;

/// <summary>The cancellation sources that time attempts out, reset and reused as Polly's timeout strategy reuses its
/// own, so an attempt allocates neither a source nor its timer.</summary>
internal static class AttemptDeadlines
{
    private static readonly ConcurrentQueue<CancellationTokenSource> Idle = new();

    public static CancellationTokenSource Start(TimeSpan timeout)
    {
        if (!Idle.TryDequeue(out var deadline)) deadline = new CancellationTokenSource();
        deadline.CancelAfter(timeout);
        return deadline;
    }

    /// <summary>A source that fired cannot be reset and is dropped.</summary>
    public static void Return(CancellationTokenSource deadline)
    {
        if (deadline.TryReset()) Idle.Enqueue(deadline);
        else deadline.Dispose();
    }
}
