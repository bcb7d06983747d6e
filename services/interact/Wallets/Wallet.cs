namespace LiveMicro.Interact.Wallets;

/// <summary>Coins are whole numbers (bigint), never floating point.</summary>
public sealed class Wallet
{
    public long UserId { get; set; }

    /// <summary>Coins the user can spend on gifts.</summary>
    public long Balance { get; set; }

    /// <summary>Coins the user's rooms earned from gifts.</summary>
    public long Revenue { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

public static class LedgerKinds
{
    public const string TopUp = "top_up";
    public const string GiftSent = "gift_sent";
    public const string GiftReceived = "gift_received";
}

/// <summary>One signed coin movement; per user the entries add up to the wallet's balance and revenue.</summary>
public sealed class LedgerEntry
{
    public long Id { get; set; }

    public long UserId { get; set; }

    public required string Kind { get; set; }

    public long Amount { get; set; }

    public long? GiftTransactionId { get; set; }

    public long? TopUpId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class TopUp
{
    public long Id { get; set; }

    public long UserId { get; set; }

    public long Amount { get; set; }

    public required string Provider { get; set; }

    public required string ProviderReference { get; set; }

    public required string IdempotencyKey { get; set; }

    public long BalanceAfter { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
