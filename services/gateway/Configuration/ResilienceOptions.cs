using System.ComponentModel.DataAnnotations;

namespace LiveMicro.Gateway.Configuration;

/// <summary>Section <c>Resilience</c>: what YARP's configuration has no place for.</summary>
public sealed class ResilienceOptions
{
    public const string SectionName = "Resilience";

    /// <summary>The timeout of routes that set none.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Connection attempts to a destination fail after this, so a dead host costs a retry, not a hang.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Pooled connections are replaced after this, so a re-addressed destination is picked up.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PooledConnectionLifetime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Idle pooled connections are closed after this, before a destination's own keep-alive timeout
    /// would close them under a request.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PooledConnectionIdleTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Further attempts, each at another destination where there is one, for idempotent requests that
    /// could not connect.</summary>
    [Range(0, 5)]
    public int MaxRetryAttempts { get; set; } = 2;

    [Required]
    public CircuitBreakerOptions CircuitBreaker { get; set; } = new();
}

/// <summary>One breaker per destination: it opens when the share of failures (connection errors, timeouts, 5xx)
/// within the sampling window reaches the ratio, answers 503 at once while open, and after the break lets one
/// probe request through, closing only if that succeeds.</summary>
public sealed class CircuitBreakerOptions
{
    [Range(0.01, 1.0)]
    public double FailureRatio { get; set; } = 0.5;

    [Range(2, 10_000)]
    public int MinimumThroughput { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);
}
