using System.Security.Claims;
using LiveMicro.Contracts;
using LiveMicro.Interact.Chat.WebSockets;
using LiveMicro.Interact.Rooms;
using LiveMicro.ServiceDefaults.Authentication;
using LiveMicro.ServiceDefaults.ProblemDetails;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Primitives;

namespace LiveMicro.Interact.Chat;

/// <summary>Who may open a room's chat socket and how: the room, the user (or a guest), the protocol.</summary>
/// <summary>An admitted opening handshake: <see cref="Key"/> is the client's Sec-WebSocket-Key, for the answer.</summary>
public sealed record ChatTicket(Room Room, long? UserId, string? Name, string? AccessToken, ChatProtocol Protocol, string? Subprotocol,
    string Key);

/// <summary>Decides an opening handshake for both ways a chat socket is opened (taken over by
/// <see cref="ChatConnectionListener"/>, or upgraded through the HTTP endpoint), so both answer alike.</summary>
public sealed class ChatAdmission(RoomDirectory rooms)
{
    public const string JsonSubprotocol = "livemicro.json";
    public const string ProtobufSubprotocol = "livemicro.proto";

    /// <summary>A ticket, or the problem to answer instead. Guests watch; a valid token (<c>access_token</c> query or
    /// bearer header) lets the user speak. A token that is present but invalid is refused rather than silently
    /// treated as a guest.</summary>
    public async Task<(ChatTicket? Ticket, ProblemHttpResult? Problem)> AdmitAsync(long roomId, HttpRequest request, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var headers = request.Headers;
        if (!HttpMethods.IsGet(request.Method) || !HasToken(headers.Connection, "upgrade") || !HasToken(headers.Upgrade, "websocket") ||
            !WebSocketProtocol.IsValidKey(headers.SecWebSocketKey.Count == 1 ? headers.SecWebSocketKey[0] : null))
        {
            return (null, Problems.Create(StatusCodes.Status400BadRequest, "websocket-required", "This endpoint speaks WebSocket only.",
                "Open it with a WebSocket client (an HTTP/1.1 GET with Upgrade: websocket)."));
        }

        if (headers.SecWebSocketVersion != WebSocketProtocol.Version)
        {
            return (null, Problems.Create(StatusCodes.Status426UpgradeRequired, "websocket-version", "Unsupported WebSocket version.",
                $"This server speaks WebSocket version {WebSocketProtocol.Version} (RFC 6455)."));
        }

        var presentedToken = request.Query.ContainsKey("access_token") || headers.Authorization.Count > 0;
        var userId = user.FindUserId();
        if (presentedToken && userId is null)
        {
            return (null, Problems.Create(StatusCodes.Status401Unauthorized, "invalid-token", "The access token is invalid, expired or revoked.",
                "Connect without a token to watch as a guest."));
        }

        var requested = headers.SecWebSocketProtocol;
        var subprotocol = HasToken(requested, ProtobufSubprotocol) ? ProtobufSubprotocol
            : HasToken(requested, JsonSubprotocol) ? JsonSubprotocol
            : null;
        if (requested.Count > 0 && subprotocol is null)
        {
            return (null, Problems.Create(StatusCodes.Status400BadRequest, "unsupported-subprotocol", "No supported subprotocol was offered.",
                $"Offer {JsonSubprotocol} or {ProtobufSubprotocol}, or none for JSON."));
        }

        var room = await rooms.FindAsync(roomId, cancellationToken);
        if (room is null)
        {
            return (null, Problems.Create(StatusCodes.Status404NotFound, "room-not-found", "No such room.", $"There is no room {roomId}."));
        }

        if (room.Status == RoomStatuses.Ended)
        {
            return (null, Problems.Create(StatusCodes.Status410Gone, "room-ended", "The room has ended."));
        }

        var token = userId is null ? null
            : request.Query.TryGetValue("access_token", out var query) ? query.ToString()
            : headers.Authorization.ToString()["Bearer ".Length..].Trim();
        return (new ChatTicket(room, userId, user.FindDisplayName() ?? (userId is null ? null : $"user{userId}"), token,
            subprotocol == ProtobufSubprotocol ? ChatProtocol.Protobuf : ChatProtocol.Json, subprotocol, headers.SecWebSocketKey[0]!), null);
    }

    /// <summary>True when a comma-separated header lists <paramref name="token"/> (case-insensitive).</summary>
    private static bool HasToken(StringValues values, string token)
    {
        foreach (var value in values)
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries))
            {
                if (part.Equals(token, StringComparison.OrdinalIgnoreCase)) return true;
            }
        }

        return false;
    }
}
