using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using LiveMicro.Contracts;
using LiveMicro.Live.Configuration;
using LiveMicro.Live.Infrastructure;
using LiveMicro.Live.Presence;
using LiveMicro.ServiceDefaults.Authentication;
using LiveMicro.ServiceDefaults.ProblemDetails;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LiveMicro.Live.Apis;

/// <summary><c>GET /ws/rooms/{id}</c>: the room's WebSocket for guests and signed-in users. It pushes the viewer
/// count and room states, answers pings, and is the channel for the owner's WebRTC signalling.</summary>
public static partial class RoomSocketApi
{
    public static IEndpointRouteBuilder MapRoomSocketApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ws/rooms/{id:long}", Connect).WithTags("Rooms");
        return app;
    }

    public static async Task<IResult> Connect(long id, string? guest, HttpContext http, LiveDbContext db,
        ViewerPresence presence, RoomSockets sockets, RoomBroadcasts broadcasts, IOptions<LiveOptions> options,
        ILoggerFactory loggers)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "websocket-required", "This endpoint speaks WebSocket only.");
        }

        // a token that was sent but did not validate is an error, not a silent downgrade to guest
        var presentedToken = http.Request.Query.ContainsKey("access_token") || http.Request.Headers.Authorization.Count > 0;
        var userId = http.User.FindUserId();
        if (presentedToken && userId is null)
        {
            return Problems.Create(StatusCodes.Status401Unauthorized, "invalid-token", "The access token is invalid, expired or revoked.");
        }

        if (guest is not null && !GuestId().IsMatch(guest))
        {
            return Problems.Validation("guest", "A guest id is 8-64 letters, digits, '-' or '_'.");
        }

        var room = await db.Rooms.AsNoTracking().Where(r => r.Id == id)
            .Select(r => new { r.Status, r.AnchorId }).SingleOrDefaultAsync(http.RequestAborted);
        if (room is null) return RoomsApi.RoomNotFound(id);
        if (room.Status == RoomStatuses.Ended)
        {
            return Problems.Create(StatusCodes.Status410Gone, "room-ended", "The room has ended.");
        }

        var settings = options.Value;
        using var webSocket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = settings.HeartbeatInterval,
            // two missed pongs and the connection is gone
            KeepAliveTimeout = settings.HeartbeatInterval * 2,
        });
        var viewer = userId is { } user ? ViewerPresence.UserViewer(user) : ViewerPresence.GuestViewer(guest ?? Guid.NewGuid().ToString("N"));
        var socket = new RoomSocket(webSocket, id, viewer, userId, userId == room.AnchorId, settings.SocketQueueLength);

        sockets.Add(socket);
        try
        {
            var count = await presence.JoinAsync(id, viewer, socket.ConnectionId, settings.ConnectionLease);
            broadcasts.CountChanged(id);
            socket.Send(RoomMessages.State(id, room.Status, count, userId, socket.IsOwner));

            var sending = RunSendsAsync(socket, http.RequestAborted);
            var closing = await ReceiveAsync(socket, settings.MaxMessageBytes, loggers.CreateLogger(typeof(RoomSocketApi)), http.RequestAborted);
            // one sender at a time: the queue drains before the close frame goes out
            socket.Complete();
            await sending;
            if (closing is var (status, reason)) await CloseAsync(webSocket, status, reason);
        }
        finally
        {
            sockets.Remove(socket);
            await presence.LeaveAsync(id, viewer, socket.ConnectionId);
            broadcasts.CountChanged(id);
        }

        return Results.Empty;
    }

    /// <summary>Sends until the queue is completed (the room ended, or the client left), then closes politely.</summary>
    private static async Task RunSendsAsync(RoomSocket socket, CancellationToken cancellationToken)
    {
        await socket.RunSendLoopAsync(cancellationToken);
        // completed from outside while the client is still there
        if (socket.RoomEnded)
        {
            await CloseAsync(socket.Socket, WebSocketCloseStatus.NormalClosure, "room ended");
        }
    }

    /// <summary>Reads client messages until the socket should close; answers how (null: the connection is gone).</summary>
    private static async Task<(WebSocketCloseStatus Status, string Reason)?> ReceiveAsync(RoomSocket socket, int maxMessageBytes,
        ILogger logger, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(maxMessageBytes);
        try
        {
            while (socket.Socket.State == WebSocketState.Open)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == maxMessageBytes)
                    {
                        return (WebSocketCloseStatus.MessageTooBig, $"messages are limited to {maxMessageBytes} bytes");
                    }

                    result = await socket.Socket.ReceiveAsync(buffer.AsMemory(length, maxMessageBytes - length), cancellationToken);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                switch (result.MessageType)
                {
                    case WebSocketMessageType.Close:
                        return (WebSocketCloseStatus.NormalClosure, "bye");
                    case WebSocketMessageType.Binary:
                        return (WebSocketCloseStatus.PolicyViolation, "this socket speaks JSON text frames only");
                }

                if (!Handle(socket, buffer.AsSpan(0, length)))
                {
                    return (WebSocketCloseStatus.InvalidPayloadData, "a message must be a JSON object with a string \"type\"");
                }
            }

            return null;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            LogSocketLost(logger, socket.RoomId, socket.ConnectionId, e.Message);
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Handles one client message; false when it is not a JSON object with a type.</summary>
    private static bool Handle(RoomSocket socket, ReadOnlySpan<byte> message)
    {
        string? type;
        long? seq = null;
        try
        {
            var reader = new Utf8JsonReader(message);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object ||
                !root.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            type = typeElement.GetString();
            if (root.TryGetProperty("seq", out var seqElement) && seqElement.TryGetInt64(out var value)) seq = value;
        }
        catch (JsonException)
        {
            return false;
        }

        socket.Send(type switch
        {
            "ping" => RoomMessages.Pong(seq),
            "offer" or "answer" or "candidate" when !socket.IsOwner =>
                RoomMessages.Error(seq, "forbidden", "Only the room's owner signals its WebRTC ingest."),
            "offer" or "answer" or "candidate" =>
                RoomMessages.Error(seq, "webrtc-unavailable", "WebRTC publishing goes over WHIP (POST /api/rooms/{id}/whip), not this socket."),
            _ => RoomMessages.Error(seq, "unknown-type", $"Unknown message type '{type}'."),
        });
        return true;
    }

    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, string reason)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        try
        {
            await socket.CloseOutputAsync(status, reason, CancellationToken.None);
        }
        catch (WebSocketException)
        {
            // the peer is already gone
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{8,64}$")]
    private static partial Regex GuestId();

    [LoggerMessage(LogLevel.Debug, "Room {RoomId} socket {ConnectionId} lost: {Reason}")]
    private static partial void LogSocketLost(ILogger logger, long roomId, string connectionId, string reason);
}
