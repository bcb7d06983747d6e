using System.Security.Claims;
using LiveMicro.Contracts;
using LiveMicro.Interact.Chat;
using LiveMicro.Interact.Rooms;
using LiveMicro.ServiceDefaults.Authentication;
using LiveMicro.ServiceDefaults.ProblemDetails;

namespace LiveMicro.Interact.Apis;

public static class ChatApi
{
    public const string JsonSubprotocol = "livemicro.json";
    public const string ProtobufSubprotocol = "livemicro.proto";

    public static IEndpointRouteBuilder MapChatApi(this IEndpointRouteBuilder app)
    {
        app.Map("/ws/chat/{roomId:long}", Connect).WithTags("Chat");
        return app;
    }

    /// <summary>Guests watch; a valid token (<c>access_token</c> query or bearer header) lets the user speak. A token
    /// that is present but invalid is refused rather than silently treated as a guest.</summary>
    public static async Task<IResult> Connect(long roomId, HttpContext context, ClaimsPrincipal user, RoomDirectory rooms,
        ChatSessions sessions)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "websocket-required", "This endpoint speaks WebSocket only.",
                "Open it with a WebSocket client (GET with Upgrade: websocket).");
        }

        var presentedToken = context.Request.Query.ContainsKey("access_token") || context.Request.Headers.Authorization.Count > 0;
        var userId = user.FindUserId();
        if (presentedToken && userId is null)
        {
            return Problems.Create(StatusCodes.Status401Unauthorized, "invalid-token", "The access token is invalid, expired or revoked.",
                "Connect without a token to watch as a guest.");
        }

        var requested = context.WebSockets.WebSocketRequestedProtocols;
        string? subprotocol = requested.Contains(ProtobufSubprotocol) ? ProtobufSubprotocol
            : requested.Contains(JsonSubprotocol) ? JsonSubprotocol
            : null;
        if (requested.Count > 0 && subprotocol is null)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "unsupported-subprotocol", "No supported subprotocol was offered.",
                $"Offer {JsonSubprotocol} or {ProtobufSubprotocol}, or none for JSON.");
        }

        var room = await rooms.FindAsync(roomId, context.RequestAborted);
        if (room is null)
        {
            return Problems.Create(StatusCodes.Status404NotFound, "room-not-found", "No such room.", $"There is no room {roomId}.");
        }

        if (room.Status == RoomStatuses.Ended)
        {
            return Problems.Create(StatusCodes.Status410Gone, "room-ended", "The room has ended.");
        }

        var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = subprotocol,
            // no per-socket keep-alive timer: the chat heartbeat pings every connection in one sweep
            KeepAliveInterval = TimeSpan.Zero,
        });
        var token = userId is null ? null
            : context.Request.Query.TryGetValue("access_token", out var query) ? query.ToString()
            : context.Request.Headers.Authorization.ToString()["Bearer ".Length..].Trim();
        await sessions.RunAsync(socket, room, userId, user.FindDisplayName() ?? (userId is null ? null : $"user{userId}"), token,
            subprotocol == ProtobufSubprotocol ? ChatProtocol.Protobuf : ChatProtocol.Json);
        return Results.Empty;
    }
}
