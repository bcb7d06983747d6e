using System.ComponentModel.DataAnnotations;

namespace LiveMicro.EventBus;

/// <summary>Settings of the Redis Streams event bus, bound from the <c>EventBus</c> configuration section.</summary>
public sealed class EventBusOptions
{
    public const string SectionName = "EventBus";

    private const string ShortestInterval = "00:00:00.001";
    private const string LongestInterval = "30.00:00:00";

    /// <summary>The consuming service; it names the consumer group, so every instance of the service shares the
    /// work and each service gets every event once.</summary>
    [Required]
    public string ServiceName { get; set; } = "";

    /// <summary>This process within the group. Keep it stable across restarts where the platform allows it: a
    /// consumer that comes back under the same name resumes its own unacknowledged entries at once, while entries
    /// of a name that never returns wait for <see cref="ClaimIdleTime"/> until another instance claims them.</summary>
    [Required]
    public string ConsumerName { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Each event type has the stream <c>{StreamPrefix}{EventTypeName}</c>.</summary>
    [Required]
    public string StreamPrefix { get; set; } = "livemicro:events:";

    /// <summary>A handled event is remembered under <c>{ProcessedKeyPrefix}{ServiceName}:{EventId}</c>.</summary>
    [Required]
    public string ProcessedKeyPrefix { get; set; } = "livemicro:processed:";

    /// <summary>How long a handled event id is remembered, i.e. how late a duplicate may arrive and still be
    /// skipped.</summary>
    [Range(typeof(TimeSpan), ShortestInterval, LongestInterval)]
    public TimeSpan ProcessedRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The approximate length (<c>MAXLEN ~</c>) a stream is trimmed to on publish. A consumer that stays
    /// down for longer than this many events loses the oldest ones.</summary>
    [Range(1, int.MaxValue)]
    public int MaxStreamLength { get; set; } = 100_000;

    /// <summary>When a service's consumer group does not exist yet, start it at the beginning of the stream
    /// instead of at its end. Off by default: a newly deployed service starts with the events published from then
    /// on, as with a newly bound queue, rather than replaying everything the stream still holds.</summary>
    public bool DeliverHistoryToNewGroup { get; set; }

    /// <summary>How many entries one read or claim takes.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 32;

    /// <summary>Consumers are woken by a pub/sub notification on publish and look for new entries at this interval
    /// anyway, in case a notification was missed.</summary>
    [Range(typeof(TimeSpan), ShortestInterval, LongestInterval)]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Deliveries, counting the first, after which an event whose handler keeps failing goes to the
    /// dead-letter stream.</summary>
    [Range(1, 1_000)]
    public int MaxDeliveryAttempts { get; set; } = 5;

    /// <summary>The wait before the first retry of a failed event; it doubles with each further attempt.</summary>
    [Range(typeof(TimeSpan), ShortestInterval, LongestInterval)]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two retries. Keep it below <see cref="ClaimIdleTime"/>, or another
    /// instance claims the failed entry first (harmless, but it then does the retry).</summary>
    [Range(typeof(TimeSpan), ShortestInterval, LongestInterval)]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an entry must have stayed unacknowledged by another consumer of the group before this one
    /// takes it over as abandoned. Must exceed the longest time a handler runs, or a slow but live consumer has
    /// its entry handled a second time elsewhere.</summary>
    [Range(typeof(TimeSpan), ShortestInterval, LongestInterval)]
    public TimeSpan ClaimIdleTime { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often a consumer looks for abandoned entries.</summary>
    [Range(typeof(TimeSpan), ShortestInterval, LongestInterval)]
    public TimeSpan ClaimInterval { get; set; } = TimeSpan.FromSeconds(15);
}
