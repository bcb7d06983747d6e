using System.Net.WebSockets;
using LiveMicro.Rank.Boards;
using LiveMicro.Rank.Configuration;
using LiveMicro.ServiceDefaults.ProblemDetails;
using Microsoft.Extensions.Options;

namespace LiveMicro.Rank.Apis;

/// <summary>Boards that push themselves: the socket gets the board's top at once and again whenever it changes (at
/// most once per <see cref="RankOptions.PushInterval"/>). Anonymous; nothing is read from the client but its close.</summary>
public static class RankSocketsApi
{
    private const string BoardPrefix = "anchors-";
    private const string AllTimeGifters = "gifters";
    private const string BroadcastGifters = "broadcast-gifters";

    public static IEndpointRouteBuilder MapRankSocketsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ws/rooms/{roomId:long}/ranks", (long roomId, string? board, int? top, HttpContext http, BoardFeeds feeds,
                IOptions<RankOptions> options) => board switch
            {
                null or AllTimeGifters => WatchAsync(BoardId.RoomGifters(roomId), top, http, feeds, options.Value),
                BroadcastGifters => WatchAsync(BoardId.BroadcastGifters(roomId), top, http, feeds, options.Value),
                _ => Task.FromResult<IResult>(Problems.Validation("board", $"board is {AllTimeGifters} or {BroadcastGifters}.")),
            })
            .WithTags("Ranks");
        app.MapGet("/ws/ranks", (string? board, int? top, HttpContext http, BoardFeeds feeds, IOptions<RankOptions> options) =>
            AnchorsBoardNamed(board) is { } anchors
                ? WatchAsync(BoardId.AnchorsOf(anchors), top, http, feeds, options.Value)
                : Task.FromResult<IResult>(Problems.Validation("board",
                    $"board is one of {string.Join(", ", AnchorsBoards.ByName.Keys.Select(name => BoardPrefix + name))}.")))
            .WithTags("Ranks");
        return app;
    }

    /// <summary>The anchors board a <c>board</c> parameter names (the day's when there is none), or null.</summary>
    private static AnchorsBoard? AnchorsBoardNamed(string? board) =>
        board is null ? AnchorsBoard.Daily
        : board.StartsWith(BoardPrefix, StringComparison.Ordinal) && AnchorsBoards.ByName.TryGetValue(board[BoardPrefix.Length..], out var anchors)
            ? anchors
            : null;

    private static async Task<IResult> WatchAsync(BoardId board, int? top, HttpContext http, BoardFeeds feeds, RankOptions options)
    {
        if (RanksApi.Top(top, options) is not { } count) return RanksApi.TopProblem(options);
        if (!http.WebSockets.IsWebSocketRequest)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "websocket-required", "This endpoint speaks WebSocket only.");
        }

        using var watch = await feeds.WatchAsync(board, count);
        using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = options.HeartbeatInterval,
            KeepAliveTimeout = options.HeartbeatInterval * 2,
        });
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        var reading = ReadUntilCloseAsync(socket, closed);
        try
        {
            var feed = watch.Feed;
            while (!closed.IsCancellationRequested)
            {
                // take the signal before the message, so a change published in between is not missed
                var next = feed.Next;
                await socket.SendAsync(feed.Latest!, WebSocketMessageType.Text, true, closed.Token); // read before the watch began
                await next.WaitAsync(closed.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // the client closed or went away
        }

        await closed.CancelAsync();
        await reading;
        if (socket.State is WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        return Results.Empty;
    }

    /// <summary>Discards what the client sends (a board takes no commands) until it closes.</summary>
    private static async Task ReadUntilCloseAsync(WebSocket socket, CancellationTokenSource closed)
    {
        var buffer = new byte[256];
        try
        {
            while ((await socket.ReceiveAsync(buffer, closed.Token)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // the socket ended
        }

        await closed.CancelAsync();
    }
}
