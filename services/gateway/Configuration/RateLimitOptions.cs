using System.ComponentModel.DataAnnotations;

namespace LiveMicro.Gateway.Configuration;

/// <summary>Section <c>RateLimits</c>: the named policies routes refer to with <c>RateLimiterPolicy</c>. Each
/// counts per signed-in user, or per client IP for guests, in fixed windows.</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimits";

    public Dictionary<string, RateLimitPolicyOptions> Policies { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class RateLimitPolicyOptions
{
    [Range(1, 1_000_000_000)]
    public int PermitLimit { get; set; }

    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}
