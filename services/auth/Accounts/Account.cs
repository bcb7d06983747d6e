namespace LiveMicro.Auth.Accounts;

public sealed class Account
{
    public long Id { get; set; }

    public required string Username { get; set; }

    /// <summary>Upper-cased username: names are unique regardless of case.</summary>
    public required string NormalizedUsername { get; set; }

    public required string DisplayName { get; set; }

    public string PasswordHash { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public static string Normalize(string username) => username.ToUpperInvariant();
}
