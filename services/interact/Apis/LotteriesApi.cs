using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using LiveMicro.Interact.Infrastructure;
using LiveMicro.Interact.Lotteries;
using LiveMicro.ServiceDefaults.Authentication;
using LiveMicro.ServiceDefaults.ProblemDetails;
using LiveMicro.ServiceDefaults.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LiveMicro.Interact.Apis;

public static class LotteriesApi
{
    public static IEndpointRouteBuilder MapLotteriesApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/rooms/{roomId:long}/lotteries", Create).WithTags("Lotteries").RequireAuthorization();
        var api = app.MapGroup("/api/lotteries/{id:long}").WithTags("Lotteries");
        api.MapGet("/", Get);
        api.MapPost("/entries", Join).RequireAuthorization();
        api.MapPost("/draw", Draw).RequireAuthorization();
        return app;
    }

    public static async Task<Results<Created<LotteryResponse>, ProblemHttpResult, ValidationProblem>> Create(long roomId,
        CreateLotteryRequest request, ClaimsPrincipal user, LotteryService lotteries, InteractDbContext db,
        IOptions<LotteryOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (request.JoinMode is not (LotteryJoinModes.Button or LotteryJoinModes.Keyword))
        {
            return Problems.Validation("joinMode", "The join mode must be 'button' or 'keyword'.");
        }

        if (request.JoinMode == LotteryJoinModes.Keyword && string.IsNullOrWhiteSpace(request.Keyword))
        {
            return Problems.Validation("keyword", "A keyword lottery needs its keyword.");
        }

        var now = time.GetUtcNow();
        if (request.ClosesAt <= now || request.ClosesAt > now + options.Value.MaxDuration)
        {
            return Problems.Validation("closesAt", $"The closing time must be in the future, within {options.Value.MaxDuration}.");
        }

        var (outcome, lottery) = await lotteries.CreateAsync(user.GetUserId(), roomId, new NewLottery(request.Prize,
            request.WinnerCount, request.JoinMode, request.Keyword, request.FollowersOnly, request.ClosesAt), cancellationToken);
        return outcome == LotteryOutcome.Done
            ? TypedResults.Created($"/api/lotteries/{lottery!.Id}", await LoadAsync(db, lottery.Id, cancellationToken))
            : Problem(outcome, roomId);
    }

    public static async Task<Results<Ok<LotteryResponse>, ProblemHttpResult>> Get(long id, InteractDbContext db,
        CancellationToken cancellationToken) =>
        await LoadAsync(db, id, cancellationToken) is { } lottery ? TypedResults.Ok(lottery) : Problem(LotteryOutcome.UnknownLottery, id);

    /// <summary>201 on the first join, 200 when already in; 409 once closed.</summary>
    public static async Task<Results<Created<LotteryResponse>, Ok<LotteryResponse>, ProblemHttpResult>> Join(long id,
        ClaimsPrincipal user, HttpContext context, LotteryService lotteries, InteractDbContext db, CancellationToken cancellationToken)
    {
        var userId = user.GetUserId();
        var token = context.Request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? header["Bearer ".Length..].Trim()
            : null;
        var outcome = await lotteries.JoinAsync(id, userId, user.FindDisplayName() ?? $"user{userId}", token, cancellationToken);
        return outcome switch
        {
            LotteryOutcome.Done => TypedResults.Created($"/api/lotteries/{id}", await LoadAsync(db, id, cancellationToken)),
            LotteryOutcome.AlreadyDone => TypedResults.Ok(await LoadAsync(db, id, cancellationToken)),
            _ => Problem(outcome, id),
        };
    }

    public static async Task<Results<Ok<LotteryResponse>, ProblemHttpResult>> Draw(long id, ClaimsPrincipal user,
        LotteryService lotteries, InteractDbContext db, CancellationToken cancellationToken)
    {
        var outcome = await lotteries.DrawAsync(id, user.GetUserId(), cancellationToken);
        return outcome is LotteryOutcome.Done or LotteryOutcome.AlreadyDone
            ? TypedResults.Ok((await LoadAsync(db, id, cancellationToken))!)
            : Problem(outcome, id);
    }

    private static async Task<LotteryResponse?> LoadAsync(InteractDbContext db, long id, CancellationToken cancellationToken)
    {
        var lottery = await db.Lotteries.AsNoTracking().SingleOrDefaultAsync(l => l.Id == id, cancellationToken);
        if (lottery is null) return null;
        var entrants = await db.LotteryEntries.CountAsync(e => e.LotteryId == id, cancellationToken);
        var winners = await db.LotteryEntries.AsNoTracking().Where(e => e.LotteryId == id && e.Won).OrderBy(e => e.UserId)
            .Select(e => new LotteryWinnerResponse(e.UserId, e.UserName)).ToListAsync(cancellationToken);
        return new LotteryResponse(lottery.Id, lottery.RoomId, lottery.OwnerId, lottery.Prize, lottery.WinnerCount, lottery.JoinMode,
            lottery.Keyword, lottery.FollowersOnly, lottery.ClosesAt, lottery.Status, lottery.DrawnAt, entrants, winners);
    }

    private static ProblemHttpResult Problem(LotteryOutcome outcome, long id) => outcome switch
    {
        LotteryOutcome.UnknownRoom => Problems.Create(StatusCodes.Status404NotFound, "room-not-found", "No such room.", $"There is no room {id}."),
        LotteryOutcome.UnknownLottery => Problems.Create(StatusCodes.Status404NotFound, "lottery-not-found", "No such lottery.",
            $"There is no lottery {id}."),
        LotteryOutcome.NotRoomOwner => Problems.Create(StatusCodes.Status403Forbidden, "not-room-owner", "Only the room owner may do that."),
        LotteryOutcome.RoomEnded => Problems.Create(StatusCodes.Status409Conflict, "room-ended", "The room has ended."),
        LotteryOutcome.Closed => Problems.Create(StatusCodes.Status409Conflict, "lottery-closed", "The lottery is closed."),
        LotteryOutcome.NotAFollower => Problems.Create(StatusCodes.Status403Forbidden, "followers-only",
            "Only followers of the room owner may join this lottery."),
        LotteryOutcome.OwnLottery => Problems.Create(StatusCodes.Status400BadRequest, "own-lottery", "You cannot join your own lottery."),
        _ => Problems.Create(StatusCodes.Status503ServiceUnavailable, "follow-check-unavailable",
            "Could not check whether you follow the room owner; try again."),
    };
}

public sealed record CreateLotteryRequest(
    [Required, StringLength(100, MinimumLength = 1), PrintableText] string Prize,
    [Range(1, 1000)] int WinnerCount,
    [Required] string JoinMode,
    [StringLength(50, MinimumLength = 1), PrintableText] string? Keyword,
    bool FollowersOnly,
    DateTimeOffset ClosesAt);

public sealed record LotteryWinnerResponse(long UserId, string Name);

public sealed record LotteryResponse(long Id, long RoomId, long OwnerId, string Prize, int WinnerCount, string JoinMode,
    string? Keyword, bool FollowersOnly, DateTimeOffset ClosesAt, string Status, DateTimeOffset? DrawnAt, int Entrants,
    IReadOnlyList<LotteryWinnerResponse> Winners);
