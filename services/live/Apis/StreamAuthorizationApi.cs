using System.ComponentModel.DataAnnotations;
using LiveMicro.Contracts;
using LiveMicro.Live.Infrastructure;
using LiveMicro.ServiceDefaults.ProblemDetails;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.Live.Apis;

/// <summary>For the media server only (the gateway never routes <c>/internal</c>): may this key publish, and
/// under which public stream name?</summary>
public static class StreamAuthorizationApi
{
    public static IEndpointRouteBuilder MapStreamAuthorizationApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/internal/streams/authorize", Authorize).WithTags("Internal");
        return app;
    }

    public static async Task<Results<Ok<StreamAuthorization>, ProblemHttpResult>> Authorize(AuthorizeStreamRequest request,
        LiveDbContext db, CancellationToken cancellationToken)
    {
        var room = await db.Rooms.AsNoTracking()
            .Where(r => r.StreamKey == request.StreamKey && r.Status != RoomStatuses.Ended)
            .Select(r => new StreamAuthorization(r.Id, r.StreamName))
            .SingleOrDefaultAsync(cancellationToken);
        return room is null
            ? Problems.Create(StatusCodes.Status404NotFound, "stream-key-unknown", "No open room has this stream key.")
            : TypedResults.Ok(room);
    }
}

public sealed record AuthorizeStreamRequest([Required, StringLength(64, MinimumLength = 1)] string StreamKey);

public sealed record StreamAuthorization(long RoomId, string StreamName);
