using System.Globalization;
using LiveMicro.Rank.Boards;
using LiveMicro.Rank.Configuration;
using LiveMicro.ServiceDefaults.ProblemDetails;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LiveMicro.Rank.Apis;

public static class RanksApi
{
    public static IEndpointRouteBuilder MapRanksApi(this IEndpointRouteBuilder app)
    {
        var ranks = app.MapGroup("/api/ranks").WithTags("Ranks");
        ranks.MapGet("/anchors/daily", GetDailyAnchors);
        foreach (var (name, board) in AnchorsBoards.ByName.Where(pair => pair.Value != AnchorsBoard.Daily))
        {
            ranks.MapGet($"/anchors/{name}", (int? top, Leaderboards boards, IOptions<RankOptions> options) =>
                GetAnchorsAsync(board, top, boards, options));
        }

        app.MapGet("/api/rooms/{roomId:long}/ranks/gifters", GetRoomGifters).WithTags("Ranks");
        app.MapGet("/api/rooms/{roomId:long}/ranks/gifters/broadcast", GetBroadcastGifters).WithTags("Ranks");
        return app;
    }

    /// <summary>Anchors by the coins they received on one UTC day (<paramref name="date"/> as yyyy-MM-dd, today by
    /// default).</summary>
    public static async Task<Results<Ok<Board>, ValidationProblem>> GetDailyAnchors(string? date, int? top, Leaderboards boards,
        IOptions<RankOptions> options, TimeProvider time)
    {
        var day = time.GetUtcNow().UtcDateTime.Date;
        if (date is not null && !DateTime.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out day))
        {
            return Problems.Validation("date", "The date must be a day as yyyy-MM-dd.");
        }

        if (Top(top, options.Value) is not { } count) return TopProblem(options.Value);
        return TypedResults.Ok(new Board((await boards.TopAsync(BoardId.AnchorsOf(AnchorsBoard.Daily), count, day)).Entries));
    }

    /// <summary>A board that is not per day: anchors by coins received for all time, by followers, or by the viewers
    /// in their live room now.</summary>
    public static async Task<Results<Ok<Board>, ValidationProblem>> GetAnchorsAsync(AnchorsBoard board, int? top, Leaderboards boards,
        IOptions<RankOptions> options)
    {
        if (Top(top, options.Value) is not { } count) return TopProblem(options.Value);
        return TypedResults.Ok(new Board((await boards.TopAsync(BoardId.AnchorsOf(board), count, default)).Entries));
    }

    /// <summary>A room's gifters by the coins they gave in it.</summary>
    public static async Task<Results<Ok<Board>, ValidationProblem>> GetRoomGifters(long roomId, int? top, Leaderboards boards,
        IOptions<RankOptions> options)
    {
        if (Top(top, options.Value) is not { } count) return TopProblem(options.Value);
        return TypedResults.Ok(new Board((await boards.TopAsync(BoardId.RoomGifters(roomId), count, default)).Entries));
    }

    /// <summary>A room's gifters in its latest broadcast (the one live now, else the last), with when it started;
    /// no entries and no start for a room that never went live.</summary>
    public static async Task<Results<Ok<BroadcastBoard>, ValidationProblem>> GetBroadcastGifters(long roomId, int? top,
        Leaderboards boards, IOptions<RankOptions> options)
    {
        if (Top(top, options.Value) is not { } count) return TopProblem(options.Value);
        var board = await boards.TopAsync(BoardId.BroadcastGifters(roomId), count, default);
        return TypedResults.Ok(new BroadcastBoard(board.BroadcastStartedAt, board.Entries));
    }

    internal static int? Top(int? top, RankOptions options) => top switch
    {
        null => options.DefaultTop,
        >= 1 and var t when t <= options.MaxTop => t,
        _ => null,
    };

    internal static ValidationProblem TopProblem(RankOptions options) =>
        Problems.Validation("top", $"top must be between 1 and {options.MaxTop}.");
}

public sealed record Board(IReadOnlyList<BoardEntry> Entries);

public sealed record BroadcastBoard(DateTimeOffset? StartedAt, IReadOnlyList<BoardEntry> Entries);
