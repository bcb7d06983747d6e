using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using LiveMicro.Contracts;
using LiveMicro.EventBus.Outbox;
using LiveMicro.Live.Configuration;
using LiveMicro.Live.Infrastructure;
using LiveMicro.Live.Presence;
using LiveMicro.Live.Rooms;
using LiveMicro.ServiceDefaults.Authentication;
using LiveMicro.ServiceDefaults.ProblemDetails;
using LiveMicro.ServiceDefaults.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LiveMicro.Live.Apis;

public static class RoomsApi
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public static IEndpointRouteBuilder MapRoomsApi(this IEndpointRouteBuilder app)
    {
        var rooms = app.MapGroup("/api/rooms").WithTags("Rooms");
        rooms.MapPost("/", CreateRoom).RequireAuthorization();
        rooms.MapGet("/", ListRooms);
        rooms.MapGet("/{id:long}", GetRoom);
        rooms.MapPost("/{id:long}/end", EndRoom).RequireAuthorization();
        rooms.MapPost("/{id:long}/stream-key", RotateStreamKey).RequireAuthorization();
        rooms.MapPost("/{id:long}/enter", Enter);
        rooms.MapPost("/{id:long}/leave", Leave);
        app.MapGet("/api/users/{userId:long}/room", GetUsersRoom).WithTags("Rooms");
        return app;
    }

    /// <summary>Opens the caller's room, or answers the one already open (one open room per anchor).</summary>
    public static async Task<Results<Created<RoomResponse>, Ok<RoomResponse>>> CreateRoom(CreateRoomRequest request,
        ClaimsPrincipal user, LiveDbContext db, RoomUrls urls, TimeProvider time, CancellationToken cancellationToken)
    {
        var anchorId = user.GetUserId();
        if (await OpenRoomOf(db, anchorId, cancellationToken) is { } open) return TypedResults.Ok(urls.Describe(open, anchorId, 0));

        var room = new Room
        {
            AnchorId = anchorId,
            AnchorName = user.FindDisplayName() ?? $"user{anchorId}",
            Title = request.Title.Trim(),
            Category = request.Category.Trim(),
            CoverUrl = string.IsNullOrEmpty(request.CoverUrl) ? null : request.CoverUrl,
            StreamName = RoomLifecycle.NewStreamName(),
            StreamKey = RoomLifecycle.NewStreamKey(),
            CreatedAt = time.GetUtcNow(),
        };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Rooms.Add(room);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // the same anchor created a room concurrently: theirs is the one
            await transaction.RollbackAsync(cancellationToken);
            db.ChangeTracker.Clear();
            return TypedResults.Ok(urls.Describe((await OpenRoomOf(db, anchorId, cancellationToken))!, anchorId, 0));
        }

        db.AddOutboxEvent(room.StatusChanged());
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/rooms/{room.Id}", urls.Describe(room, anchorId, 0));
    }

    public static async Task<Results<Ok<RoomResponse>, ProblemHttpResult>> GetRoom(long id, ClaimsPrincipal user,
        LiveDbContext db, ViewerPresence presence, RoomUrls urls, CancellationToken cancellationToken)
    {
        var room = await db.Rooms.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        return room is null
            ? RoomNotFound(id)
            : TypedResults.Ok(urls.Describe(room, user.FindUserId(), await presence.CountAsync(id)));
    }

    public static async Task<Results<Ok<RoomResponse>, ProblemHttpResult>> GetUsersRoom(long userId, ClaimsPrincipal user,
        LiveDbContext db, ViewerPresence presence, RoomUrls urls, CancellationToken cancellationToken)
    {
        var room = await OpenRoomOf(db, userId, cancellationToken);
        return room is null
            ? Problems.Create(StatusCodes.Status404NotFound, "room-not-found", "The user has no open room.")
            : TypedResults.Ok(urls.Describe(room, user.FindUserId(), await presence.CountAsync(room.Id)));
    }

    /// <summary>Rooms of one status (live by default), most viewers first, in keyset pages: <c>after</c> is the
    /// previous page's <c>next</c>.</summary>
    public static async Task<Results<Ok<RoomPage>, ValidationProblem>> ListRooms(string? status, string? after, int? limit,
        ClaimsPrincipal user, LiveDbContext db, RoomUrls urls, CancellationToken cancellationToken)
    {
        status ??= RoomStatuses.Live;
        if (status is not (RoomStatuses.Live or RoomStatuses.Offline or RoomStatuses.Ended))
        {
            return Problems.Validation("status", "The status is live, offline or ended.");
        }

        var size = limit ?? DefaultPageSize;
        if (size is < 1 or > MaxPageSize) return Problems.Validation("limit", $"The limit must be between 1 and {MaxPageSize}.");

        var rooms = db.Rooms.AsNoTracking().Where(r => r.Status == status);
        if (after is not null)
        {
            if (!RoomCursor.TryParse(after, out var cursor)) return Problems.Validation("after", "The cursor is not one this API gave out.");
            rooms = rooms.Where(r => r.ViewerCount < cursor.ViewerCount || (r.ViewerCount == cursor.ViewerCount && r.Id < cursor.RoomId));
        }

        var page = await rooms.OrderByDescending(r => r.ViewerCount).ThenByDescending(r => r.Id).Take(size).ToListAsync(cancellationToken);
        var viewer = user.FindUserId();
        return TypedResults.Ok(new RoomPage(
            page.Select(r => urls.Describe(r, viewer, r.ViewerCount)).ToList(),
            page.Count == size ? new RoomCursor(page[^1].ViewerCount, page[^1].Id).ToString() : null));
    }

    public static async Task<Results<Ok<RoomResponse>, ProblemHttpResult>> EndRoom(long id, ClaimsPrincipal user,
        LiveDbContext db, RoomLifecycle lifecycle, RoomUrls urls, CancellationToken cancellationToken)
    {
        var (room, problem) = await OwnedRoomAsync(id, user, db, cancellationToken);
        if (problem is not null) return problem;

        await lifecycle.EndAsync(room!.Id, cancellationToken);
        var ended = await db.Rooms.AsNoTracking().SingleAsync(r => r.Id == id, cancellationToken);
        return TypedResults.Ok(urls.Describe(ended, user.GetUserId(), 0));
    }

    public static async Task<Results<Ok<RoomResponse>, ProblemHttpResult>> RotateStreamKey(long id, ClaimsPrincipal user,
        LiveDbContext db, RoomLifecycle lifecycle, RoomUrls urls, CancellationToken cancellationToken)
    {
        var (room, problem) = await OwnedRoomAsync(id, user, db, cancellationToken);
        if (problem is not null) return problem;
        if (room!.Status == RoomStatuses.Ended) return RoomEnded(id);

        await lifecycle.RotateStreamKeyAsync(room, cancellationToken);
        return TypedResults.Ok(urls.Describe(room, user.GetUserId(), room.ViewerCount));
    }

    /// <summary>Counts a viewer who watches without the room WebSocket (a native player): the presence lasts
    /// <see cref="LiveOptions.HttpPresenceTtl"/> and is renewed by entering again. Guests name themselves with a
    /// guest id (the answer gives one out) so that leaving finds them.</summary>
    public static async Task<Results<Ok<PresenceResponse>, ProblemHttpResult, ValidationProblem>> Enter(long id,
        PresenceRequest? request, ClaimsPrincipal user, LiveDbContext db, ViewerPresence presence, RoomBroadcasts broadcasts,
        IOptions<LiveOptions> options, CancellationToken cancellationToken)
    {
        var status = await db.Rooms.AsNoTracking().Where(r => r.Id == id).Select(r => r.Status).SingleOrDefaultAsync(cancellationToken);
        if (status is null) return RoomNotFound(id);
        if (status == RoomStatuses.Ended) return RoomEnded(id);

        var guestId = user.FindUserId() is null ? request?.GuestId ?? Guid.NewGuid().ToString("N") : null;
        var viewer = user.FindUserId() is { } userId ? ViewerPresence.UserViewer(userId) : ViewerPresence.GuestViewer(guestId!);
        var count = await presence.JoinAsync(id, viewer, HttpConnectionId, options.Value.HttpPresenceTtl);
        broadcasts.CountChanged(id);
        return TypedResults.Ok(new PresenceResponse(id, status, count, guestId));
    }

    public static async Task<Results<Ok<PresenceResponse>, ProblemHttpResult, ValidationProblem>> Leave(long id,
        PresenceRequest? request, ClaimsPrincipal user, LiveDbContext db, ViewerPresence presence, RoomBroadcasts broadcasts,
        CancellationToken cancellationToken)
    {
        var status = await db.Rooms.AsNoTracking().Where(r => r.Id == id).Select(r => r.Status).SingleOrDefaultAsync(cancellationToken);
        if (status is null) return RoomNotFound(id);

        string viewer;
        if (user.FindUserId() is { } userId) viewer = ViewerPresence.UserViewer(userId);
        else if (request?.GuestId is { } guestId) viewer = ViewerPresence.GuestViewer(guestId);
        else return Problems.Validation("guestId", "A guest leaves with the guest id that entering gave out.");

        var count = await presence.LeaveAsync(id, viewer, HttpConnectionId);
        broadcasts.CountChanged(id);
        return TypedResults.Ok(new PresenceResponse(id, status, count, request?.GuestId));
    }

    public static ProblemHttpResult RoomNotFound(long id) =>
        Problems.Create(StatusCodes.Status404NotFound, "room-not-found", "No such room.", $"There is no room {id}.");

    private static ProblemHttpResult RoomEnded(long id) =>
        Problems.Create(StatusCodes.Status409Conflict, "room-ended", "The room has ended.", $"Room {id} has ended.");

    /// <summary>An HTTP viewer's one "connection": entering twice renews it rather than counting it twice.</summary>
    private const string HttpConnectionId = "http";

    private static Task<Room?> OpenRoomOf(LiveDbContext db, long anchorId, CancellationToken cancellationToken) =>
        db.Rooms.SingleOrDefaultAsync(r => r.AnchorId == anchorId && r.Status != RoomStatuses.Ended, cancellationToken);

    private static async Task<(Room? Room, ProblemHttpResult? Problem)> OwnedRoomAsync(long id, ClaimsPrincipal user,
        LiveDbContext db, CancellationToken cancellationToken)
    {
        var room = await db.Rooms.SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (room is null) return (null, RoomNotFound(id));
        return room.AnchorId == user.GetUserId()
            ? (room, null)
            : (null, Problems.Create(StatusCodes.Status403Forbidden, "not-room-owner", "Only the room's owner may do this."));
    }
}

public sealed record CreateRoomRequest(
    [Required, StringLength(60, MinimumLength = 1), PrintableText] string Title,
    [Required, StringLength(30, MinimumLength = 1), PrintableText] string Category,
    [StringLength(512), HttpUrl] string? CoverUrl);

public sealed record PresenceRequest([RegularExpression("^[A-Za-z0-9_-]{8,64}$")] string? GuestId);

public sealed record PresenceResponse(long RoomId, string Status, long ViewerCount, string? GuestId);

public sealed record RoomPage(IReadOnlyList<RoomResponse> Items, string? Next);

/// <summary>The last room of a page: (viewer count, id), the order rooms are listed in.</summary>
public readonly record struct RoomCursor(long ViewerCount, long RoomId)
{
    public override string ToString() => $"{ViewerCount}_{RoomId}";

    public static bool TryParse(string text, out RoomCursor cursor)
    {
        var parts = text.Split('_');
        cursor = default;
        if (parts.Length != 2 || !long.TryParse(parts[0], out var count) || !long.TryParse(parts[1], out var id)) return false;
        cursor = new RoomCursor(count, id);
        return true;
    }
}
