using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LiveMicro.Interact.Chat;

public enum ChatTarget
{
    Room,
    AllRooms,
    User,
    Connection,
}

/// <summary>Sends a message to a room, every room, a user's devices or one connection, on every instance: it is
/// serialised once, delivered to this instance's connections directly, and published once on the Redis backplane
/// channel for the other instances (which skip their own messages).</summary>
public sealed partial class ChatPublisher(LocalConnections local, IConnectionMultiplexer redis, RoomPresence presence,
    IOptions<ChatOptions> options, ILogger<ChatPublisher> logger)
{
    private readonly ISubscriber _subscriber = redis.GetSubscriber();
    private readonly ConcurrentDictionary<long, byte> _pendingViewerCounts = new();

    private string InstanceId => options.Value.InstanceId;

    public Task<PublishResult> PublishToRoomAsync(long roomId, ChatMessage message) =>
        PublishAsync(ChatTarget.Room, roomId.ToString(System.Globalization.CultureInfo.InvariantCulture), message);

    public Task<PublishResult> PublishToAllRoomsAsync(ChatMessage message) => PublishAsync(ChatTarget.AllRooms, "", message);

    public Task<PublishResult> PublishToUserAsync(long userId, ChatMessage message) =>
        PublishAsync(ChatTarget.User, userId.ToString(System.Globalization.CultureInfo.InvariantCulture), message);

    /// <summary>Only this instance's connections are delivered here; another instance's id is forwarded to it.</summary>
    public async Task<PublishResult> PublishToConnectionAsync(string connectionId, ChatMessage message)
    {
        if (local.Find(connectionId) is { } connection)
        {
            return new PublishResult(connection.TryEnqueue(new ChatFrame(message)) ? 1 : 0, 0);
        }

        return await PublishAsync(ChatTarget.Connection, connectionId, message);
    }

    private async Task<PublishResult> PublishAsync(ChatTarget target, string targetId, ChatMessage message)
    {
        var frame = new ChatFrame(message);
        var delivered = Deliver(target, targetId, frame);
        var json = frame.Json;
        // "origin\ntarget\ntargetId\n" + the JSON envelope (compact JSON has no raw line breaks)
        var header = Encoding.UTF8.GetBytes($"{InstanceId}\n{(int)target}\n{targetId}\n");
        var payload = new byte[header.Length + json.Length];
        header.CopyTo(payload, 0);
        json.CopyTo(payload.AsSpan(header.Length));
        var instances = await _subscriber.PublishAsync(ChatKeys.Backplane, payload);
        return new PublishResult(delivered, instances);
    }

    /// <summary>A message from the backplane.</summary>
    internal void OnBackplaneMessage(byte[] payload)
    {
        try
        {
            var span = payload.AsSpan();
            var origin = NextLine(ref span);
            if (origin.SequenceEqual(Encoding.UTF8.GetBytes(InstanceId))) return;
            var target = (ChatTarget)int.Parse(NextLine(ref span), System.Globalization.CultureInfo.InvariantCulture);
            var targetId = Encoding.UTF8.GetString(NextLine(ref span));
            var json = span.ToArray();
            var (message, seq) = JsonChatCodec.DecodeServer(json);
            Deliver(target, targetId, new ChatFrame(message, seq, json));
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or ArgumentException)
        {
            LogBadBackplaneMessage(logger, e);
        }
    }

    private int Deliver(ChatTarget target, string targetId, ChatFrame frame) => target switch
    {
        ChatTarget.Room => local.DeliverToRoom(long.Parse(targetId, System.Globalization.CultureInfo.InvariantCulture), frame),
        ChatTarget.AllRooms => local.DeliverToAll(frame),
        ChatTarget.User => local.DeliverToUser(long.Parse(targetId, System.Globalization.CultureInfo.InvariantCulture), frame),
        ChatTarget.Connection => local.Find(targetId) is { } connection && connection.TryEnqueue(frame) ? 1 : 0,
        _ => 0,
    };

    private static ReadOnlySpan<byte> NextLine(ref Span<byte> span)
    {
        var end = span.IndexOf((byte)'\n');
        if (end < 0) throw new FormatException("backplane message without its header");
        var line = span[..end];
        span = span[(end + 1)..];
        return line;
    }

    /// <summary>Pushes what a presence change means to the room: "X entered/left" with the count for a user's
    /// first or last device; for guests a coalesced viewer count (see <see cref="ChatOptions.ViewerCountInterval"/>).</summary>
    public async Task PublishPresenceAsync(PresenceChange change, bool entered)
    {
        if (!change.Changed) return;
        if (change.UserId is { } userId)
        {
            if (!change.UserEnteredOrLeft) return;
            ChatMessage message = entered
                ? new EnterMessage(change.RoomId, userId, change.Name ?? "", change.Viewers)
                : new LeaveMessage(change.RoomId, userId, change.Name ?? "", change.Viewers);
            await PublishToRoomAsync(change.RoomId, message);
            return;
        }

        if (!_pendingViewerCounts.TryAdd(change.RoomId, 0)) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(options.Value.ViewerCountInterval);
                _pendingViewerCounts.TryRemove(change.RoomId, out _);
                await PublishToRoomAsync(change.RoomId, new ViewersMessage(change.RoomId, await presence.CountAsync(change.RoomId)));
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                LogViewerCountFailed(logger, e, change.RoomId);
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored a malformed backplane message")]
    private static partial void LogBadBackplaneMessage(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not push the viewer count of room {RoomId}")]
    private static partial void LogViewerCountFailed(ILogger logger, Exception exception, long roomId);
}

/// <param name="DeliveredHere">Connections of this instance that got it queued.</param>
/// <param name="Subscribers">Instances subscribed to the backplane that received it (this one included).</param>
public sealed record PublishResult(int DeliveredHere, long Subscribers);

/// <summary>Subscribes this instance to the backplane for as long as it runs.</summary>
public sealed class ChatBackplane(IConnectionMultiplexer redis, ChatPublisher publisher) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        redis.GetSubscriber().SubscribeAsync(ChatKeys.Backplane, (_, value) => publisher.OnBackplaneMessage((byte[])value!));

    public Task StopAsync(CancellationToken cancellationToken) => redis.GetSubscriber().UnsubscribeAsync(ChatKeys.Backplane);
}
