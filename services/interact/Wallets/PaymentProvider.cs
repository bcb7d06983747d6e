using System.ComponentModel.DataAnnotations;

namespace LiveMicro.Interact.Wallets;

/// <summary>Where coins are bought. A real provider charges money; it must honour the idempotency key, so a
/// repeated top-up request never charges twice.</summary>
public interface IPaymentProvider
{
    string Name { get; }

    Task<PaymentResult> ChargeAsync(long userId, long coins, string idempotencyKey, CancellationToken cancellationToken);
}

public sealed record PaymentResult(bool Approved, string Reference, string? DeclineReason = null);

/// <summary>Approves every charge without money: for local runs and tests. It is only registered when
/// <c>Payments:DevelopmentProvider</c> is true, which the production configuration (appsettings.json) leaves off.</summary>
public sealed class DevelopmentPaymentProvider : IPaymentProvider
{
    public string Name => "development";

    public Task<PaymentResult> ChargeAsync(long userId, long coins, string idempotencyKey, CancellationToken cancellationToken) =>
        Task.FromResult(new PaymentResult(true, $"dev-{userId}-{idempotencyKey}"));
}

/// <summary>Section <c>Payments</c>.</summary>
public sealed class PaymentOptions
{
    public const string SectionName = "Payments";

    /// <summary>Registers <see cref="DevelopmentPaymentProvider"/>: free coins. Never in production.</summary>
    public bool DevelopmentProvider { get; set; }

    /// <summary>The most coins one top-up may buy.</summary>
    [Range(1, 1_000_000_000)]
    public long MaxTopUp { get; set; } = 1_000_000;
}
