using System.ComponentModel.DataAnnotations;

namespace LiveMicro.EventBus.Outbox;

/// <summary>Settings of the outbox relay, bound from the <c>EventBus:Outbox</c> configuration section.</summary>
public sealed class OutboxOptions
{
    public const string SectionName = "EventBus:Outbox";

    private const string ShortestInterval = "00:00:00.001";
    private const string LongestInterval = "365.00:00:00";

    /// <summary>How often the relay looks for unpublished rows. A save in this process outside an explicit
    /// transaction wakes it at once.</summary>
    [Range(typeof(TimeSpan), ShortestInterval, LongestInterval)]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many rows one relay transaction locks and publishes.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>How long published rows are kept (for inspection) before they are deleted.</summary>
    [Range(typeof(TimeSpan), ShortestInterval, LongestInterval)]
    public TimeSpan PublishedRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often published rows older than <see cref="PublishedRetention"/> are deleted.</summary>
    [Range(typeof(TimeSpan), ShortestInterval, LongestInterval)]
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(10);
}
