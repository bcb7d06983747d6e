using System.Security.Claims;
using LiveMicro.ServiceDefaults.Authentication;
using LiveMicro.ServiceDefaults.ProblemDetails;
using LiveMicro.User.Follows;
using LiveMicro.User.Infrastructure;
using LiveMicro.User.Profiles;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.User.Apis;

public static class FollowsApi
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public static RouteGroupBuilder MapFollowsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/users/{id:long}").WithTags("Follows");
        api.MapPut("/follow", Follow).RequireAuthorization();
        api.MapDelete("/follow", Unfollow).RequireAuthorization();
        api.MapGet("/followers", GetFollowers);
        api.MapGet("/following", GetFollowing);
        return api;
    }

    public static Task<Results<Ok<FollowResponse>, ProblemHttpResult>> Follow(long id, ClaimsPrincipal user,
        UserDbContext db, ProfileStore profiles, FollowGraph graph, CancellationToken cancellationToken) =>
        ChangeAsync(id, user, db, profiles, cancellationToken, (me, ct) => graph.FollowAsync(me, id, ct), following: true);

    public static Task<Results<Ok<FollowResponse>, ProblemHttpResult>> Unfollow(long id, ClaimsPrincipal user,
        UserDbContext db, ProfileStore profiles, FollowGraph graph, CancellationToken cancellationToken) =>
        ChangeAsync(id, user, db, profiles, cancellationToken, (me, ct) => graph.UnfollowAsync(me, id, ct), following: false);

    private static async Task<Results<Ok<FollowResponse>, ProblemHttpResult>> ChangeAsync(long id, ClaimsPrincipal user,
        UserDbContext db, ProfileStore profiles, CancellationToken cancellationToken,
        Func<long, CancellationToken, Task<FollowResult>> change, bool following)
    {
        var me = user.GetUserId();
        if (me == id)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "cannot-follow-self", "You cannot follow yourself.");
        }

        await UsersApi.EnsureSignedInProfileAsync(user, db, profiles, cancellationToken);
        var result = await change(me, cancellationToken);
        return result.Outcome == FollowOutcome.UnknownUser
            ? UsersApi.UnknownUser(id)
            : TypedResults.Ok(new FollowResponse(id, following, result.FolloweeFollowerCount));
    }

    public static Task<Results<Ok<FollowPage>, ProblemHttpResult, ValidationProblem>> GetFollowers(long id, long? after,
        int? limit, UserDbContext db, CancellationToken cancellationToken) =>
        PageAsync(id, after, limit, db, followersOfId: true, cancellationToken);

    public static Task<Results<Ok<FollowPage>, ProblemHttpResult, ValidationProblem>> GetFollowing(long id, long? after,
        int? limit, UserDbContext db, CancellationToken cancellationToken) =>
        PageAsync(id, after, limit, db, followersOfId: false, cancellationToken);

    /// <summary>Newest first; <c>after</c> is the <c>next</c> cursor of the previous page, so a page never
    /// shifts when people follow meanwhile (unlike OFFSET).</summary>
    private static async Task<Results<Ok<FollowPage>, ProblemHttpResult, ValidationProblem>> PageAsync(long id, long? after,
        int? limit, UserDbContext db, bool followersOfId, CancellationToken cancellationToken)
    {
        var size = limit ?? DefaultPageSize;
        if (size is < 1 or > MaxPageSize)
        {
            return Problems.Validation("limit", $"The limit must be between 1 and {MaxPageSize}.");
        }

        if (!await db.Profiles.AnyAsync(p => p.Id == id, cancellationToken)) return UsersApi.UnknownUser(id);

        var edges = followersOfId ? db.Follows.Where(f => f.FolloweeId == id) : db.Follows.Where(f => f.FollowerId == id);
        if (after is { } cursor) edges = edges.Where(f => f.Id < cursor);
        var page = await (
                from f in edges.OrderByDescending(f => f.Id).Take(size)
                join p in db.Profiles on (followersOfId ? f.FollowerId : f.FolloweeId) equals p.Id
                orderby f.Id descending
                select new FollowEntry(p.Id, p.Username, p.DisplayName, p.AvatarUrl, f.CreatedAt, f.Id))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new FollowPage(page, page.Count == size ? page[^1].Cursor : null));
    }
}

public sealed record FollowResponse(long UserId, bool Following, long FollowerCount);

public sealed record FollowEntry(long UserId, string Username, string DisplayName, string? AvatarUrl, DateTimeOffset FollowedAt, long Cursor);

public sealed record FollowPage(IReadOnlyList<FollowEntry> Items, long? Next);
