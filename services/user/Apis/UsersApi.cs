using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using LiveMicro.Contracts;
using LiveMicro.EventBus.Outbox;
using LiveMicro.ServiceDefaults.Authentication;
using LiveMicro.ServiceDefaults.ProblemDetails;
using LiveMicro.ServiceDefaults.Validation;
using LiveMicro.User.Infrastructure;
using LiveMicro.User.Profiles;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.User.Apis;

public static class UsersApi
{
    public static RouteGroupBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/users").WithTags("Users");
        api.MapGet("/me", GetMe).RequireAuthorization();
        api.MapPatch("/me", UpdateMe).RequireAuthorization();
        api.MapGet("/{id:long}", GetUser);
        return api;
    }

    public static async Task<Ok<ProfileResponse>> GetMe(ClaimsPrincipal user, UserDbContext db, ProfileStore profiles,
        CancellationToken cancellationToken)
    {
        var profile = await EnsureSignedInProfileAsync(user, db, profiles, cancellationToken);
        return TypedResults.Ok(ProfileResponse.From(profile, followedByMe: null));
    }

    public static async Task<Ok<ProfileResponse>> UpdateMe(UpdateProfileRequest request,
        ClaimsPrincipal user, UserDbContext db, ProfileStore profiles, TimeProvider time, CancellationToken cancellationToken)
    {
        var profile = await EnsureSignedInProfileAsync(user, db, profiles, cancellationToken);
        if (request.DisplayName is { } displayName) profile.DisplayName = displayName.Trim();
        if (request.Bio is { } bio) profile.Bio = bio.Trim();
        if (request.AvatarUrl is { } avatarUrl) profile.AvatarUrl = avatarUrl.Length == 0 ? null : avatarUrl;
        profile.UpdatedAt = time.GetUtcNow();

        db.AddOutboxEvent(new UserProfileChanged(profile.Id, profile.DisplayName, profile.AvatarUrl));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(ProfileResponse.From(profile, followedByMe: null));
    }

    public static async Task<Results<Ok<ProfileResponse>, ProblemHttpResult>> GetUser(long id, ClaimsPrincipal user,
        UserDbContext db, CancellationToken cancellationToken)
    {
        var profile = await db.Profiles.AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (profile is null) return UnknownUser(id);

        bool? followedByMe = user.FindUserId() is { } me
            ? await db.Follows.AnyAsync(f => f.FollowerId == me && f.FolloweeId == id, cancellationToken)
            : null;
        return TypedResults.Ok(ProfileResponse.From(profile, followedByMe));
    }

    public static ProblemHttpResult UnknownUser(long id) =>
        Problems.Create(StatusCodes.Status404NotFound, "user-not-found", "No such user.", $"There is no user {id}.");

    /// <summary>The caller's profile, created from the token's claims if the UserRegistered event has not
    /// arrived yet: a user who just registered must not see a 404 for themselves.</summary>
    internal static async Task<UserProfile> EnsureSignedInProfileAsync(ClaimsPrincipal user, UserDbContext db,
        ProfileStore profiles, CancellationToken cancellationToken)
    {
        var id = user.GetUserId();
        var profile = await db.Profiles.SingleOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (profile is not null) return profile;

        await profiles.EnsureAsync(id, user.FindFirst("preferred_username")?.Value ?? $"user{id}",
            user.FindDisplayName() ?? $"user{id}", cancellationToken);
        return await db.Profiles.SingleAsync(p => p.Id == id, cancellationToken);
    }
}

/// <summary>A partial update: a null field stays as it is; an empty bio or avatar URL clears it.</summary>
public sealed record UpdateProfileRequest(
    [StringLength(40, MinimumLength = 1), PrintableText] string? DisplayName,
    [StringLength(280), PrintableText(AllowLineBreaks = true, AllowBlank = true)] string? Bio,
    [StringLength(512), HttpUrl] string? AvatarUrl);

public sealed record ProfileResponse(
    long Id,
    string Username,
    string DisplayName,
    string Bio,
    string? AvatarUrl,
    long FollowerCount,
    long FollowingCount,
    DateTimeOffset CreatedAt,
    bool? FollowedByMe)
{
    public static ProfileResponse From(UserProfile profile, bool? followedByMe) =>
        new(profile.Id, profile.Username, profile.DisplayName, profile.Bio, profile.AvatarUrl, profile.FollowerCount,
            profile.FollowingCount, profile.CreatedAt, followedByMe);
}
