using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LiveMicro.Contracts;
using LiveMicro.Live.Infrastructure;
using LiveMicro.Live.WebRtc;
using LiveMicro.Media.Sdp;
using LiveMicro.ServiceDefaults.ProblemDetails;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;

namespace LiveMicro.Live.Apis;

/// <summary>
/// WHIP (RFC 9725), publishing from a browser or any WHIP encoder (OBS 30+): POST the SDP offer with the room's
/// stream key as the bearer token, get the answer back (201, its session's URL in Location), DELETE that URL to stop.
/// The media then reaches the media server as the room's publish, so the room goes live as with RTMP.
/// </summary>
public static class WhipApi
{
    private const string SdpType = "application/sdp";

    public static IEndpointRouteBuilder MapWhipApi(this IEndpointRouteBuilder app)
    {
        // the stream key is the credential, as in RTMP: no user token
        var whip = app.MapGroup("/api/rooms/{roomId:long}/whip").WithTags("WHIP").AllowAnonymous();
        whip.MapPost("/", StartAsync);
        whip.MapDelete("/{sessionId}", EndAsync);
        return app;
    }

    public static async Task<IResult> StartAsync(long roomId, HttpContext http, LiveDbContext db, WhipSessions sessions,
        CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type) || !type.MediaType.Equals(SdpType, StringComparison.OrdinalIgnoreCase))
        {
            return Problems.Create(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "A WHIP offer is sent as application/sdp.");
        }

        var room = await db.Rooms.AsNoTracking().Where(r => r.Id == roomId).Select(r => new { r.StreamKey, r.Status })
            .SingleOrDefaultAsync(cancellationToken);
        if (room is null) return Problems.Create(StatusCodes.Status404NotFound, "room-not-found", "No room has this id.");
        if (!HoldsKey(http, room.StreamKey)) return Unauthorized(http);
        if (room.Status == RoomStatuses.Ended) return Problems.Create(StatusCodes.Status409Conflict, "room-ended", "The room has ended.");

        var offer = await ReadOfferAsync(http.Request, cancellationToken);
        if (offer is null)
        {
            return Problems.Create(StatusCodes.Status413PayloadTooLarge, "offer-too-large",
                $"An offer is at most {SessionDescription.MaxLength} bytes.");
        }

        try
        {
            var (session, answer) = await sessions.StartAsync(roomId, room.StreamKey, offer);
            http.Response.Headers.Location = $"/api/rooms/{roomId.ToString(CultureInfo.InvariantCulture)}/whip/{session.Id}";
            return Results.Text(answer, SdpType, Encoding.UTF8, StatusCodes.Status201Created);
        }
        catch (SdpException e)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "invalid-offer", "The offer cannot be answered.", e.Message);
        }
        catch (WhipCapacityException e)
        {
            http.Response.Headers.RetryAfter = "30";
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "webrtc-capacity", "No WebRTC session can be taken now.", e.Message);
        }
    }

    public static async Task<IResult> EndAsync(long roomId, string sessionId, HttpContext http, LiveDbContext db, WhipSessions sessions,
        CancellationToken cancellationToken)
    {
        var session = sessions.Find(sessionId);
        if (session is null || session.RoomId != roomId)
        {
            return Problems.Create(StatusCodes.Status404NotFound, "whip-session-not-found", "No WebRTC session of this room has this id.");
        }

        var streamKey = await db.Rooms.AsNoTracking().Where(r => r.Id == roomId).Select(r => r.StreamKey).SingleOrDefaultAsync(cancellationToken);
        if (streamKey is null || !HoldsKey(http, streamKey)) return Unauthorized(http);
        await sessions.EndAsync(session);
        return Results.Ok();
    }

    private static bool HoldsKey(HttpContext http, string streamKey)
    {
        var header = http.Request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        if (!header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[bearer.Length..].Trim()), Encoding.UTF8.GetBytes(streamKey));
    }

    private static IResult Unauthorized(HttpContext http)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return Problems.Create(StatusCodes.Status401Unauthorized, "stream-key-invalid", "The bearer token is not this room's stream key.");
    }

    /// <summary>The body as text, or null when it is longer than an offer may be.</summary>
    private static async Task<string?> ReadOfferAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > SessionDescription.MaxLength) return null;
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var buffer = new char[SessionDescription.MaxLength + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await reader.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0) length += read;
        return length > SessionDescription.MaxLength ? null : new string(buffer, 0, length);
    }
}
