using System.ComponentModel.DataAnnotations;

namespace LiveMicro.Auth.Tokens;

/// <summary>Section <c>Tokens</c>: lifetimes of what login hands out.</summary>
public sealed class TokenLifetimeOptions
{
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    [Range(typeof(TimeSpan), "01:00:00", "365.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);
}
