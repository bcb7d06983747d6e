using System.ComponentModel.DataAnnotations;

namespace LiveMicro.ServiceDefaults.Authentication;

/// <summary>How this service validates the access tokens the auth service issues (section <c>Jwt</c>).</summary>
public sealed class JwtOptions
{
    public const string SectionName = "Jwt";

    [Required]
    public string Issuer { get; set; } = "";

    [Required]
    public string Audience { get; set; } = "";

    /// <summary>The auth service's JWKS. Required in every service but auth, which holds the keys itself.</summary>
    public string? JwksUrl { get; set; }

    /// <summary>Allows a plain-HTTP JWKS URL: only for loopback or a private service network (development and
    /// docker-compose); production should fetch keys over HTTPS.</summary>
    public bool AllowHttpJwks { get; set; }

    /// <summary>Tolerated clock difference between services.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);
}
