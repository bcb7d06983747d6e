using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Unicode;
using LiveMicro.Interact.Chat.WebSockets;
using LiveMicro.Interact.Lotteries;
using LiveMicro.Interact.Rooms;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LiveMicro.Interact.Chat;

/// <summary>Runs one chat socket from accept to close: presence in, welcome and history out, the receive loop
/// answering requests, presence out. Sending is the connection's own loop.</summary>
public sealed partial class ChatSessions(LocalConnections local, RoomPresence presence, RoomModeration moderation,
    ChatPublisher publisher, LotteryKeywords lotteryKeywords, IOptions<ChatOptions> options, TimeProvider time,
    ILogger<ChatSessions> logger)
{
    private long _sequence;

    public async Task RunAsync(ServerWebSocket socket, ChatTicket ticket)
    {
        var chat = options.Value;
        var (room, userId, name) = (ticket.Room, ticket.UserId, ticket.Name);
        var id = $"{chat.InstanceId}-{Interlocked.Increment(ref _sequence)}";
        var connection = new ChatConnection(id, room.Id, userId, name, ticket.AccessToken, ticket.Protocol, socket,
            chat.SendQueueCapacity, chat.CloseTimeout);
        var entered = false;
        try
        {
            var change = await presence.EnterAsync(connection);
            entered = true;
            connection.TryEnqueue(new ChatFrame(new WelcomeMessage(id, room.Id, userId, name, change.Viewers, room.Status,
                await moderation.GetSlowModeAsync(room.Id))));
            connection.TryEnqueue(new ChatFrame(new HistoryMessage(await moderation.GetHistoryAsync(room.Id))));
            local.Add(connection);
            await publisher.PublishPresenceAsync(change, entered: true);

            await ReceiveLoopAsync(socket, connection, room);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogRedisFailed(logger, e, id);
            connection.Drop(WebSocketCloseStatus.InternalServerError, "chat unavailable, try again");
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // dropped, aborted or vanished
        }
        finally
        {
            local.Remove(connection);
            await LeaveAsync(connection, entered);
            await FinishAsync(socket, connection);
        }
    }

    /// <summary>Reads requests until the client leaves or breaks the protocol. Pings are answered here; any frame
    /// proves the client is there.</summary>
    private async Task ReceiveLoopAsync(ServerWebSocket socket, ChatConnection connection, Room room)
    {
        var limit = options.Value.MaxMessageBytes;
        while (true)
        {
            var received = await socket.ReceiveAsync(limit);
            switch (received.Kind)
            {
                case ReceivedKind.Close or ReceivedKind.Ended:
                    return;
                case ReceivedKind.Failed:
                    connection.Drop(received.Status!.Value, received.Reason!);
                    return;
                case ReceivedKind.Ping:
                    connection.MarkAlive();
                    connection.TryEnqueue(ChatFrame.Control(WebSocketProtocol.Frame(WebSocketOpcode.Pong, received.Payload.Span)));
                    continue;
                case ReceivedKind.Pong:
                    connection.MarkAlive();
                    continue;
            }

            connection.MarkAlive();
            if (received.MessageType != connection.MessageType)
            {
                connection.Drop(WebSocketCloseStatus.InvalidMessageType, connection.Protocol == ChatProtocol.Json
                    ? "binary frames need the livemicro.proto subprotocol"
                    : "text frames need the JSON protocol");
                return;
            }

            var payload = received.Payload.Span;
            if (connection.Protocol == ChatProtocol.Json && !Utf8.IsValid(payload))
            {
                connection.Drop(WebSocketCloseStatus.InvalidPayloadData, "text frames must be UTF-8");
                return;
            }

            var request = connection.Protocol == ChatProtocol.Json
                ? JsonChatCodec.DecodeRequest(payload, out var error)
                : ProtobufChatCodec.DecodeRequest(payload, out error);
            if (request is null)
            {
                Reply(connection, null, new ErrorMessage(ChatErrorCodes.BadRequest, error ?? "unreadable message"));
                continue;
            }

            try
            {
                await HandleAsync(connection, room, request);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                LogRedisFailed(logger, e, connection.Id);
                Reply(connection, request.Seq, new ErrorMessage(ChatErrorCodes.Unavailable, "The chat store did not answer; try again."));
            }
        }
    }

    private async Task HandleAsync(ChatConnection connection, Room room, ChatRequest request)
    {
        switch (request.Type)
        {
            case ChatRequestTypes.Pong:
                return;
            case ChatRequestTypes.Danmaku:
                await DanmakuAsync(connection, room, request);
                return;
            case ChatRequestTypes.UserList:
                var max = options.Value.MaxUserListPage;
                var limit = request.Limit ?? Math.Min(50, max);
                if (limit < 1 || limit > max)
                {
                    Reply(connection, request.Seq, new ErrorMessage(ChatErrorCodes.BadRequest, $"limit must be between 1 and {max}."));
                    return;
                }

                Reply(connection, request.Seq, await presence.ListUsersAsync(room.Id, request.After ?? 0, limit));
                return;
            case ChatRequestTypes.Mute or ChatRequestTypes.Unmute or ChatRequestTypes.SlowMode:
                await ModerateAsync(connection, room, request);
                return;
            default:
                Reply(connection, request.Seq, new ErrorMessage(ChatErrorCodes.UnknownType, $"Unknown request type '{request.Type}'."));
                return;
        }
    }

    private async Task DanmakuAsync(ChatConnection connection, Room room, ChatRequest request)
    {
        if (connection.UserId is not { } userId)
        {
            Reply(connection, request.Seq, new ErrorMessage(ChatErrorCodes.SignInRequired, "Guests may watch; sign in to speak."));
            return;
        }

        if (DanmakuText.Validate(request.Text, options.Value.MaxDanmakuLength, out var text) is { } problem)
        {
            Reply(connection, request.Seq, new ErrorMessage(ChatErrorCodes.InvalidText, problem));
            return;
        }

        var (verdict, retryAfter) = await moderation.CheckDanmakuAsync(room.Id, userId, isOwner: userId == room.AnchorId);
        if (verdict != DanmakuVerdict.Allowed)
        {
            Reply(connection, request.Seq, verdict switch
            {
                DanmakuVerdict.Muted => new ErrorMessage(ChatErrorCodes.Muted, "The room owner muted you.", retryAfter),
                DanmakuVerdict.SlowMode => new ErrorMessage(ChatErrorCodes.SlowMode, "Slow mode: wait before your next message.", retryAfter),
                _ => new ErrorMessage(ChatErrorCodes.RateLimited, "You are sending too fast.", retryAfter),
            });
            return;
        }

        var message = new DanmakuMessage(Guid.CreateVersion7().ToString("N"), room.Id, userId, connection.Name ?? "", text,
            time.GetUtcNow().ToUnixTimeMilliseconds());
        await publisher.PublishToRoomAsync(room.Id, message);
        if (request.Seq is not null) Reply(connection, request.Seq, new AckMessage());
        await moderation.AddToHistoryAsync(message);
        await lotteryKeywords.TryJoinAsync(connection, text);
    }

    private async Task ModerateAsync(ChatConnection connection, Room room, ChatRequest request)
    {
        if (connection.UserId != room.AnchorId)
        {
            Reply(connection, request.Seq, new ErrorMessage(ChatErrorCodes.NotRoomOwner, "Only the room owner may do that."));
            return;
        }

        var maxSeconds = (int)options.Value.MaxModerationDuration.TotalSeconds;
        ModerationMessage change;
        switch (request.Type)
        {
            case ChatRequestTypes.Mute when request.UserId is { } target && request.Seconds is { } seconds && seconds >= 1 && seconds <= maxSeconds:
                await moderation.MuteAsync(room.Id, target, TimeSpan.FromSeconds(seconds));
                change = new ModerationMessage(room.Id, "mute", target, seconds);
                break;
            case ChatRequestTypes.Unmute when request.UserId is { } target:
                await moderation.UnmuteAsync(room.Id, target);
                change = new ModerationMessage(room.Id, "unmute", target, 0);
                break;
            case ChatRequestTypes.SlowMode when request.Seconds is { } seconds && seconds >= 0 && seconds <= maxSeconds:
                await moderation.SetSlowModeAsync(room.Id, seconds);
                change = new ModerationMessage(room.Id, "slowmode", null, seconds);
                break;
            default:
                Reply(connection, request.Seq, new ErrorMessage(ChatErrorCodes.BadRequest,
                    $"mute needs userId and seconds (1-{maxSeconds}), unmute needs userId, slowmode needs seconds (0-{maxSeconds})."));
                return;
        }

        await publisher.PublishToRoomAsync(room.Id, change);
        Reply(connection, request.Seq, new AckMessage());
    }

    private static void Reply(ChatConnection connection, long? seq, ChatMessage message) =>
        connection.TryEnqueue(new ChatFrame(message, seq));

    private async Task LeaveAsync(ChatConnection connection, bool entered)
    {
        if (!entered) return;
        try
        {
            await publisher.PublishPresenceAsync(await presence.LeaveAsync(connection), entered: false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // the instance heartbeat repairs the count: nobody else will, so say so
            LogRedisFailed(logger, e, connection.Id);
        }
    }

    /// <summary>Lets the send loop finish, then completes the close handshake (or aborts after the timeout).</summary>
    private async Task FinishAsync(ServerWebSocket socket, ChatConnection connection)
    {
        var timeout = options.Value.CloseTimeout;
        connection.Complete();
        var closed = false;
        try
        {
            await connection.WhenSentAsync().WaitAsync(timeout);
            using var closing = new CancellationTokenSource(timeout);
            if (socket.CloseReceived)
            {
                if (socket.TrySendClose(WebSocketCloseStatus.NormalClosure, "", out var sent)) await sent.AsTask().WaitAsync(closing.Token);
                closed = true;
            }
            else if (socket.CloseSent)
            {
                // we dropped the client: wait for its close frame so it reads our reason before the TCP close. A
                // client whose bytes cannot be read any more (the protocol error we dropped it for is still first in
                // its stream) is closed in order too: an abort would reset the connection and could discard the
                // close frame still on its way, with its reason
                ReceivedKind kind;
                do kind = (await socket.ReceiveAsync(options.Value.MaxMessageBytes, closing.Token)).Kind;
                while (kind is not (ReceivedKind.Close or ReceivedKind.Ended or ReceivedKind.Failed));
                closed = kind is ReceivedKind.Close or ReceivedKind.Failed;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or IOException or SocketException
                                       or ObjectDisposedException)
        {
            // a client that does not finish the handshake is cut off
        }
        finally
        {
            // after a close handshake the TCP connection ends in order (the server closes first, RFC 6455 §7.1.1)
            if (closed) connection.Stop();
            else connection.Abort();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis failed for chat connection {ConnectionId}")]
    private static partial void LogRedisFailed(ILogger logger, Exception exception, string connectionId);
}

/// <summary>The danmaku text rule: trimmed, 1 to the maximum characters (Unicode scalar values, so an emoji is
/// one), no control characters.</summary>
public static class DanmakuText
{
    /// <summary>Null when valid (with the trimmed text), else why not.</summary>
    public static string? Validate(string? text, int maxLength, out string trimmed)
    {
        trimmed = text?.Trim() ?? "";
        if (trimmed.Length == 0) return "The text must not be empty.";
        if (trimmed.Any(char.IsControl)) return "The text must not contain control characters.";
        var length = trimmed.EnumerateRunes().Count();
        return length > maxLength ? $"The text must be at most {maxLength} characters (it has {length})." : null;
    }
}
