namespace LiveMicro.EventBus.Tests.Infrastructure;

public static class Eventually
{
    /// <summary>Long enough for several polls and retries of the test settings, so that a duplicate or a late
    /// delivery would have shown up by then.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(700);

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static async Task TrueAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out after {Timeout} waiting until {what}");
            await Task.Delay(25);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what) => TrueAsync(() => Task.FromResult(condition()), what);
}
