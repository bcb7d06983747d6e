namespace LiveMicro.Interact.Gifts;

public static class GiftLevels
{
    /// <summary>Pushed to the room it was sent in.</summary>
    public const string Normal = "normal";

    /// <summary>Pushed to every room, with the anchor's and the sender's names.</summary>
    public const string Premium = "premium";
}

/// <summary>A catalogue entry; the catalogue is seeded by the migrations at start-up.</summary>
public sealed class Gift
{
    public long Id { get; set; }

    public required string Name { get; set; }

    /// <summary>In coins.</summary>
    public long Price { get; set; }

    public required string Level { get; set; }

    public required string ImageUrl { get; set; }
}

public sealed class GiftTransaction
{
    public long Id { get; set; }

    public long SenderId { get; set; }

    public required string IdempotencyKey { get; set; }

    public long RoomId { get; set; }

    public long AnchorId { get; set; }

    public long GiftId { get; set; }

    public int Count { get; set; }

    public long TotalCoins { get; set; }

    /// <summary>The sender's balance right after this gift: part of the answer a repeated request gets again.</summary>
    public long BalanceAfter { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
