using System.ComponentModel.DataAnnotations;
using System.Globalization;
using LiveMicro.Auth.Accounts;
using LiveMicro.Auth.Infrastructure;
using LiveMicro.Auth.Tokens;
using LiveMicro.Contracts;
using LiveMicro.EventBus.Outbox;
using LiveMicro.ServiceDefaults.Authentication;
using LiveMicro.ServiceDefaults.ProblemDetails;
using LiveMicro.ServiceDefaults.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace LiveMicro.Auth.Apis;

public static class AuthApi
{
    public static RouteGroupBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/auth").WithTags("Auth");
        api.MapPost("/register", Register);
        api.MapPost("/login", Login);
        api.MapPost("/refresh", Refresh);
        api.MapPost("/logout", Logout).RequireAuthorization();
        api.MapGet("/verify", Verify).RequireAuthorization();
        return api;
    }

    public static async Task<Results<Created<AccountResponse>, ProblemHttpResult>> Register(
        RegisterRequest request, AuthDbContext db, IPasswordHasher<Account> hasher, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var displayName = request.DisplayName.Trim();
        var account = new Account
        {
            Username = request.Username,
            NormalizedUsername = Account.Normalize(request.Username),
            DisplayName = displayName,
            CreatedAt = time.GetUtcNow(),
        };
        account.PasswordHash = hasher.HashPassword(account, request.Password);

        // The account and its UserRegistered event commit together: the user service never misses a user.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Accounts.Add(account);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return Problems.Create(StatusCodes.Status409Conflict, "username-taken", "The username is taken.",
                $"'{request.Username}' is already registered.");
        }

        db.AddOutboxEvent(new UserRegistered(account.Id, account.Username, account.DisplayName));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/users/{account.Id}", AccountResponse.From(account));
    }

    public static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> Login(
        LoginRequest request, AuthDbContext db, IPasswordHasher<Account> hasher, LoginThrottle throttle,
        TokenIssuer tokens, RefreshTokenStore refreshTokens, HttpContext http, CancellationToken cancellationToken)
    {
        var normalized = Account.Normalize(request.Username);
        if (await throttle.GetLockoutAsync(normalized) is { } wait)
        {
            http.Response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return Problems.Create(StatusCodes.Status429TooManyRequests, "too-many-login-failures",
                "Too many failed logins for this username.", $"Try again in {Math.Ceiling(wait.TotalSeconds)} s.");
        }

        var account = await db.Accounts.SingleOrDefaultAsync(a => a.NormalizedUsername == normalized, cancellationToken);
        var verdict = account is null
            ? VerifyAgainstNobody(hasher, request.Password)
            : hasher.VerifyHashedPassword(account, account.PasswordHash, request.Password);
        if (account is null || verdict == PasswordVerificationResult.Failed)
        {
            await throttle.RecordFailureAsync(normalized);
            return Problems.Create(StatusCodes.Status401Unauthorized, "invalid-credentials",
                "The username or password is wrong.");
        }

        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            account.PasswordHash = hasher.HashPassword(account, request.Password);
            await db.SaveChangesAsync(cancellationToken);
        }

        await throttle.ResetAsync(normalized);
        var refresh = await refreshTokens.IssueAsync(account.Id, Guid.CreateVersion7(), cancellationToken);
        var access = await tokens.IssueAsync(account, refresh.FamilyId, cancellationToken);
        return TypedResults.Ok(TokenResponse.From(account, access, refresh));
    }

    public static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> Refresh(
        RefreshRequest request, AuthDbContext db, TokenIssuer tokens, RefreshTokenStore refreshTokens,
        CancellationToken cancellationToken)
    {
        var rotation = await refreshTokens.RotateAsync(request.RefreshToken, cancellationToken);
        if (rotation is not { Outcome: RotationOutcome.Rotated, Next: { } next })
        {
            return rotation.Outcome == RotationOutcome.Reused
                ? Problems.Create(StatusCodes.Status401Unauthorized, "refresh-token-reused",
                    "The refresh token was already used.", "Its whole session is revoked; sign in again.")
                : Problems.Create(StatusCodes.Status401Unauthorized, "refresh-token-invalid",
                    "The refresh token is unknown, expired or revoked.", $"Reason: {rotation.Outcome}.");
        }

        var account = await db.Accounts.AsNoTracking().SingleAsync(a => a.Id == rotation.AccountId, cancellationToken);
        var access = await tokens.IssueAsync(account, next.FamilyId, cancellationToken);
        return TypedResults.Ok(TokenResponse.From(account, access, next));
    }

    /// <summary>Ends the session: its refresh-token family and the access token presented now stop working.</summary>
    public static async Task<NoContent> Logout(HttpContext http, RefreshTokenStore refreshTokens, RevokedTokens revoked,
        CancellationToken cancellationToken)
    {
        var user = http.User;
        if (Guid.TryParse(user.FindFirst(TokenClaims.SessionId)?.Value, out var familyId))
        {
            await refreshTokens.RevokeFamilyAsync(familyId, cancellationToken);
        }

        if (user.FindFirst(TokenClaims.TokenId)?.Value is { } tokenId &&
            long.TryParse(user.FindFirst("exp")?.Value, out var expires))
        {
            await revoked.RevokeAsync(tokenId, DateTimeOffset.FromUnixTimeSeconds(expires));
        }

        return TypedResults.NoContent();
    }

    public static Ok<VerifyResponse> Verify(HttpContext http)
    {
        var user = http.User;
        return TypedResults.Ok(new VerifyResponse(
            user.GetUserId(),
            user.FindFirst("preferred_username")?.Value ?? "",
            user.FindDisplayName() ?? "",
            user.FindFirst(TokenClaims.TokenId)?.Value ?? "",
            DateTimeOffset.FromUnixTimeSeconds(long.Parse(user.FindFirst("exp")!.Value, CultureInfo.InvariantCulture))));
    }

    // An unknown name costs as much as a wrong password, so response times do not reveal which names exist.
    private static readonly Account Nobody = new() { Username = "", NormalizedUsername = "", DisplayName = "" };
    private static readonly Lazy<string> NobodyHash = new(() => new PasswordHasher<Account>().HashPassword(Nobody, Guid.NewGuid().ToString()));

    private static PasswordVerificationResult VerifyAgainstNobody(IPasswordHasher<Account> hasher, string password)
    {
        hasher.VerifyHashedPassword(Nobody, NobodyHash.Value, password);
        return PasswordVerificationResult.Failed;
    }
}

public sealed record RegisterRequest(
    [Required, StringLength(32, MinimumLength = 3),
     RegularExpression("^[A-Za-z0-9_]+$", ErrorMessage = "The username may hold only letters, digits and '_'.")]
    string Username,
    [Required, StringLength(40, MinimumLength = 1), PrintableText] string DisplayName,
    [Required, StringLength(1024, MinimumLength = 8)] string Password);

public sealed record LoginRequest([Required] string Username, [Required] string Password);

public sealed record RefreshRequest([Required] string RefreshToken);

public sealed record AccountResponse(long Id, string Username, string DisplayName, DateTimeOffset CreatedAt)
{
    public static AccountResponse From(Account account) =>
        new(account.Id, account.Username, account.DisplayName, account.CreatedAt);
}

public sealed record TokenResponse(
    long UserId,
    string AccessToken,
    string TokenType,
    int ExpiresIn,
    DateTimeOffset AccessTokenExpiresAt,
    string RefreshToken,
    DateTimeOffset RefreshTokenExpiresAt)
{
    public static TokenResponse From(Account account, AccessToken access, IssuedRefreshToken refresh) =>
        new(account.Id, access.Token, "Bearer",
            (int)access.Lifetime.TotalSeconds,
            access.ExpiresAt, refresh.Token, refresh.ExpiresAt);
}

public sealed record VerifyResponse(long UserId, string Username, string DisplayName, string TokenId, DateTimeOffset ExpiresAt);
