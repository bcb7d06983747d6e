namespace LiveMicro.Testing;

/// <summary>The real clock moved by an offset: lets a test issue tokens "in the past" while the validators keep the
/// real time, or move a service to tomorrow while it runs.</summary>
public sealed class ShiftedTimeProvider(TimeSpan offset) : TimeProvider
{
    public TimeSpan Offset { get; set; } = offset;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}
