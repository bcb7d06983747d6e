namespace LiveMicro.EventBus;

/// <summary>Wakes a polling loop early. A loop takes <see cref="Next"/> before it looks for work, so a signal
/// that arrives while it works is not lost but ends its following wait at once.</summary>
internal sealed class WakeSignal
{
    private TaskCompletionSource _next = NewSource();

    public Task Next => Volatile.Read(ref _next).Task;

    public void Notify() => Interlocked.Exchange(ref _next, NewSource()).TrySetResult();

    /// <summary>Waits until the signal taken before the work fires or <paramref name="interval"/> passes.</summary>
    public static async Task WaitAsync(Task next, TimeSpan interval, CancellationToken cancellationToken) =>
        await Task.WhenAny(next, Task.Delay(interval, cancellationToken));

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
