using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using LiveMicro.Interact.Gifts;
using LiveMicro.Interact.Infrastructure;
using LiveMicro.ServiceDefaults.Authentication;
using LiveMicro.ServiceDefaults.ProblemDetails;
using LiveMicro.ServiceDefaults.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.Interact.Apis;

public static class GiftsApi
{
    public static IEndpointRouteBuilder MapGiftsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/gifts", GetCatalogue).WithTags("Gifts");
        app.MapPost("/api/rooms/{roomId:long}/gifts", SendGift).WithTags("Gifts").RequireAuthorization();
        return app;
    }

    public static async Task<Ok<List<GiftResponse>>> GetCatalogue(GiftCatalogue catalogue, CancellationToken cancellationToken) =>
        TypedResults.Ok((await catalogue.GetAllAsync(cancellationToken))
            .Select(g => new GiftResponse(g.Id, g.Name, g.Price, g.Level, g.ImageUrl)).ToList());

    /// <summary>201 with the transaction; the same idempotency key again answers the same body (and
    /// <c>Idempotent-Replayed: true</c>) without debiting again.</summary>
    public static async Task<Results<Created<GiftSentResponse>, ProblemHttpResult>> SendGift(long roomId, SendGiftRequest request,
        ClaimsPrincipal user, GiftSender gifts, HttpContext context, CancellationToken cancellationToken)
    {
        var senderId = user.GetUserId();
        var result = await gifts.SendAsync(senderId, user.FindDisplayName() ?? $"user{senderId}", roomId, request.GiftId,
            request.Count, request.IdempotencyKey, cancellationToken);
        switch (result.Outcome)
        {
            case GiftOutcome.Sent or GiftOutcome.Replayed:
                if (result.Outcome == GiftOutcome.Replayed) context.Response.Headers["Idempotent-Replayed"] = "true";
                var sent = result.Transaction!;
                return TypedResults.Created($"/api/rooms/{roomId}/gifts/{sent.Id}", new GiftSentResponse(sent.Id, sent.RoomId,
                    sent.AnchorId, sent.GiftId, result.Gift!.Name, result.Gift.Level, sent.Count, sent.TotalCoins, sent.BalanceAfter,
                    sent.CreatedAt));
            case GiftOutcome.UnknownRoom:
                return Problems.Create(StatusCodes.Status404NotFound, "room-not-found", "No such room.", $"There is no room {roomId}.");
            case GiftOutcome.UnknownGift:
                return Problems.Create(StatusCodes.Status404NotFound, "gift-not-found", "No such gift.",
                    $"There is no gift {request.GiftId}; GET /api/gifts lists them.");
            case GiftOutcome.OwnRoom:
                return Problems.Create(StatusCodes.Status400BadRequest, "gift-to-own-room", "You cannot send gifts to your own room.");
            case GiftOutcome.RoomEnded:
                return Problems.Create(StatusCodes.Status409Conflict, "room-ended", "The room has ended.");
            case GiftOutcome.InsufficientBalance:
                return Problems.Create(StatusCodes.Status409Conflict, "insufficient-balance", "Not enough coins.",
                    $"The gift costs {checked(result.Gift!.Price * request.Count)} coins; your balance is {result.Balance}.");
            default:
                return Problems.Create(StatusCodes.Status422UnprocessableEntity, "idempotency-key-reused",
                    "The idempotency key was used for another gift.",
                    "Use a new idempotency key for each gift you mean to send.");
        }
    }
}

public sealed record SendGiftRequest(
    [Range(1, long.MaxValue)] long GiftId,
    [Range(1, 9999)] int Count,
    [Required, StringLength(64, MinimumLength = 1), PrintableText] string IdempotencyKey);

public sealed record GiftResponse(long Id, string Name, long Price, string Level, string ImageUrl);

public sealed record GiftSentResponse(long TransactionId, long RoomId, long AnchorId, long GiftId, string GiftName, string Level,
    int Count, long TotalCoins, long Balance, DateTimeOffset CreatedAt);
