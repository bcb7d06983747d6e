using System.Diagnostics;

namespace LiveMicro.EventBus.Tests.Infrastructure;

/// <summary>An event whose handler fails on its first <see cref="FailuresBeforeSuccess"/> deliveries and, if
/// <see cref="HangsOnFirstAttempt"/>, never returns from its first until the host stops.</summary>
public sealed record ScriptedEvent(string Label, int FailuresBeforeSuccess = 0, bool HangsOnFirstAttempt = false)
    : IntegrationEvent
{
    public const int AlwaysFails = int.MaxValue;
}

/// <summary>What the handlers of one service were given: every attempt, with when, and every success.</summary>
public sealed class HandlerLog
{
    private readonly Lock _lock = new();
    private readonly List<(Guid EventId, long Timestamp)> _attempts = [];
    private readonly List<ScriptedEvent> _handled = [];

    public int RecordAttempt(Guid eventId)
    {
        lock (_lock)
        {
            _attempts.Add((eventId, Stopwatch.GetTimestamp()));
            return _attempts.Count(attempt => attempt.EventId == eventId);
        }
    }

    public void RecordHandled(ScriptedEvent @event)
    {
        lock (_lock) _handled.Add(@event);
    }

    public IReadOnlyList<ScriptedEvent> Handled
    {
        get { lock (_lock) return [.. _handled]; }
    }

    public IReadOnlyList<long> AttemptTimestamps(Guid eventId)
    {
        lock (_lock) return _attempts.Where(attempt => attempt.EventId == eventId).Select(attempt => attempt.Timestamp).ToList();
    }

    public int HandledCount(Guid eventId) => Handled.Count(@event => @event.Id == eventId);
}

public sealed class ScriptedEventHandler(HandlerLog log) : IIntegrationEventHandler<ScriptedEvent>
{
    public async Task HandleAsync(ScriptedEvent @event, CancellationToken cancellationToken)
    {
        var attempt = log.RecordAttempt(@event.Id);
        if (attempt == 1 && @event.HangsOnFirstAttempt) await Task.Delay(Timeout.Infinite, cancellationToken);
        if (attempt <= @event.FailuresBeforeSuccess)
        {
            throw new InvalidOperationException($"Scripted failure {attempt} of {@event.Label}");
        }

        log.RecordHandled(@event);
    }
}
