namespace LiveMicro.Testing;

/// <summary>The real clock moved by a fixed offset: lets a test issue tokens "in the past" while the validators
/// keep the real time.</summary>
public sealed class ShiftedTimeProvider(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
}
