using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using LiveMicro.Interact.Wallets;
using LiveMicro.ServiceDefaults.Authentication;
using LiveMicro.ServiceDefaults.ProblemDetails;
using LiveMicro.ServiceDefaults.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LiveMicro.Interact.Apis;

public static class WalletApi
{
    public static RouteGroupBuilder MapWalletApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/wallet").WithTags("Wallet").RequireAuthorization();
        api.MapGet("/", GetWallet);
        api.MapPost("/top-ups", TopUp);
        return api;
    }

    public static async Task<Ok<WalletResponse>> GetWallet(ClaimsPrincipal user, WalletStore wallets, CancellationToken cancellationToken)
    {
        var wallet = await wallets.GetAsync(user.GetUserId(), cancellationToken);
        return TypedResults.Ok(new WalletResponse(wallet.UserId, wallet.Balance, wallet.Revenue));
    }

    public static async Task<Results<Created<TopUpResponse>, ProblemHttpResult, ValidationProblem>> TopUp(TopUpRequest request,
        ClaimsPrincipal user, WalletStore wallets, IOptions<PaymentOptions> options, HttpContext context,
        CancellationToken cancellationToken, [Microsoft.AspNetCore.Mvc.FromServices] IPaymentProvider? provider = null)
    {
        if (provider is null)
        {
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "payments-unavailable",
                "No payment provider is configured.", "Top-ups are off in this deployment.");
        }

        if (request.Amount > options.Value.MaxTopUp)
        {
            return Problems.Validation("amount", $"A top-up buys at most {options.Value.MaxTopUp} coins.");
        }

        var result = await wallets.TopUpAsync(user.GetUserId(), request.Amount, request.IdempotencyKey, provider, cancellationToken);
        if (result.Outcome == TopUpOutcome.Declined)
        {
            return Problems.Create(StatusCodes.Status402PaymentRequired, "payment-declined", "The payment was declined.", result.DeclineReason);
        }

        var topUp = result.TopUp!;
        if (result.Outcome == TopUpOutcome.Replayed) context.Response.Headers["Idempotent-Replayed"] = "true";
        if (topUp.Amount != request.Amount)
        {
            return Problems.Create(StatusCodes.Status422UnprocessableEntity, "idempotency-key-reused",
                "The idempotency key was used for another top-up.");
        }

        return TypedResults.Created($"/api/wallet/top-ups/{topUp.Id}",
            new TopUpResponse(topUp.Id, topUp.Amount, topUp.BalanceAfter, topUp.Provider, topUp.CreatedAt));
    }
}

/// <param name="Amount">Whole coins; JSON numbers with a fraction are refused.</param>
public sealed record TopUpRequest(
    [Range(1, long.MaxValue)] long Amount,
    [Required, StringLength(64, MinimumLength = 1), PrintableText] string IdempotencyKey);

public sealed record WalletResponse(long UserId, long Balance, long Revenue);

public sealed record TopUpResponse(long Id, long Amount, long Balance, string Provider, DateTimeOffset CreatedAt);
