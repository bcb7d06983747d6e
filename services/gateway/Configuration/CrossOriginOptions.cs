using System.ComponentModel.DataAnnotations;

namespace LiveMicro.Gateway.Configuration;

/// <summary>Section <c>Cors</c>: which web origins may call the API from a browser (a page on another origin
/// publishing over WHIP, reading rooms, chatting). None by default: browsers then refuse cross-origin reads.</summary>
public sealed class CrossOriginOptions
{
    public const string SectionName = "Cors";

    /// <summary>Origins such as <c>https://app.example</c>; <c>*</c> for any. Tokens travel in headers, not cookies, so
    /// credentials are never allowed.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>How long a browser may cache a preflight's answer.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan PreflightMaxAge { get; set; } = TimeSpan.FromMinutes(10);
}
