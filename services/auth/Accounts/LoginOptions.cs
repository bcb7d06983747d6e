using System.ComponentModel.DataAnnotations;

namespace LiveMicro.Auth.Accounts;

/// <summary>Section <c>Login</c>: brute-force protection per username.</summary>
public sealed class LoginOptions
{
    [Range(1, 100)]
    public int MaxFailures { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(1);
}
