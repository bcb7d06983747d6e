using System.Text.Json;
using System.Text.Json.Serialization;

namespace LiveMicro.Interact.Chat;

/// <summary>What the server sends on the chat socket. On the JSON protocol each is the <c>data</c> of an envelope
/// <c>{"type": Type, "seq": n?, "data": {...}}</c>; on <c>livemicro.proto</c> the same fields in
/// <c>Protos/chat.proto</c>'s <c>ServerEnvelope</c>.</summary>
public abstract record ChatMessage
{
    [JsonIgnore]
    public abstract string Type { get; }
}

public static class ChatMessageTypes
{
    public const string Welcome = "welcome";
    public const string History = "history";
    public const string Danmaku = "danmaku";
    public const string Enter = "enter";
    public const string Leave = "leave";
    public const string Viewers = "viewers";
    public const string Gift = "gift";
    public const string Room = "room";
    public const string Push = "push";
    public const string Lottery = "lottery";
    public const string Moderation = "moderation";
    public const string UserList = "userlist";
    public const string Ping = "ping";
    public const string Ack = "ack";
    public const string Error = "error";

    /// <summary>Every server message type with its data type, for reading an envelope back (the backplane, tests).</summary>
    public static readonly IReadOnlyDictionary<string, Type> DataTypes = new Dictionary<string, Type>
    {
        [Welcome] = typeof(WelcomeMessage),
        [History] = typeof(HistoryMessage),
        [Danmaku] = typeof(DanmakuMessage),
        [Enter] = typeof(EnterMessage),
        [Leave] = typeof(LeaveMessage),
        [Viewers] = typeof(ViewersMessage),
        [Gift] = typeof(GiftMessage),
        [Room] = typeof(RoomStatusMessage),
        [Push] = typeof(PushMessage),
        [Lottery] = typeof(LotteryMessage),
        [Moderation] = typeof(ModerationMessage),
        [UserList] = typeof(UserListMessage),
        [Ping] = typeof(PingMessage),
        [Ack] = typeof(AckMessage),
        [Error] = typeof(ErrorMessage),
    };
}

/// <summary>The first message on every connection.</summary>
public sealed record WelcomeMessage(string ConnectionId, long RoomId, long? UserId, string? Name, long Viewers,
    string RoomStatus, int SlowModeSeconds) : ChatMessage
{
    public override string Type => ChatMessageTypes.Welcome;
}

/// <summary>The room's last danmaku, oldest first; sent right after <see cref="WelcomeMessage"/>.</summary>
public sealed record HistoryMessage(IReadOnlyList<DanmakuMessage> Messages) : ChatMessage
{
    public override string Type => ChatMessageTypes.History;
}

/// <param name="SentAt">Unix milliseconds when the server accepted it.</param>
public sealed record DanmakuMessage(string Id, long RoomId, long UserId, string Name, string Text, long SentAt) : ChatMessage
{
    public override string Type => ChatMessageTypes.Danmaku;
}

/// <summary>A signed-in user's first device entered the room.</summary>
public sealed record EnterMessage(long RoomId, long UserId, string Name, long Viewers) : ChatMessage
{
    public override string Type => ChatMessageTypes.Enter;
}

/// <summary>A signed-in user's last device left the room (closed, dropped or vanished with its instance).</summary>
public sealed record LeaveMessage(long RoomId, long UserId, string Name, long Viewers) : ChatMessage
{
    public override string Type => ChatMessageTypes.Leave;
}

/// <summary>The viewer count changed because guests came or went: distinct signed-in users plus guest connections.</summary>
public sealed record ViewersMessage(long RoomId, long Viewers) : ChatMessage
{
    public override string Type => ChatMessageTypes.Viewers;
}

public sealed record GiftMessage(long TransactionId, long RoomId, long AnchorId, string AnchorName, long SenderId,
    string SenderName, long GiftId, string GiftName, string ImageUrl, string Level, int Count, long TotalCoins) : ChatMessage
{
    public override string Type => ChatMessageTypes.Gift;
}

/// <summary>The room went live, offline or ended.</summary>
public sealed record RoomStatusMessage(long RoomId, string Status, string Title, string AnchorName) : ChatMessage
{
    public override string Type => ChatMessageTypes.Room;
}

/// <summary>A message another service pushed through <c>POST /internal/push</c>.</summary>
public sealed record PushMessage(string MessageId, string Topic, JsonElement Payload) : ChatMessage
{
    public override string Type => ChatMessageTypes.Push;
}

public sealed record LotteryWinner(long UserId, string Name);

/// <summary>A lottery opened or was drawn in the room.</summary>
public sealed record LotteryMessage(long LotteryId, long RoomId, string Prize, string Status, int WinnerCount,
    string JoinMode, string? Keyword, bool FollowersOnly, DateTimeOffset ClosesAt, long Entrants,
    IReadOnlyList<LotteryWinner> Winners) : ChatMessage
{
    public override string Type => ChatMessageTypes.Lottery;
}

/// <param name="Action"><c>mute</c>, <c>unmute</c> or <c>slowmode</c>.</param>
public sealed record ModerationMessage(long RoomId, string Action, long? UserId, int Seconds) : ChatMessage
{
    public override string Type => ChatMessageTypes.Moderation;
}

public sealed record ChatUser(long UserId, string Name);

/// <param name="Next">Pass as <c>after</c> for the next page; null on the last page.</param>
public sealed record UserListMessage(IReadOnlyList<ChatUser> Users, long Total, long? Next) : ChatMessage
{
    public override string Type => ChatMessageTypes.UserList;
}

/// <summary>Answer with <c>{"type":"pong"}</c> (any frame will do).</summary>
public sealed record PingMessage(long Time) : ChatMessage
{
    public override string Type => ChatMessageTypes.Ping;
}

/// <summary>A request (with its <c>seq</c>) succeeded.</summary>
public sealed record AckMessage : ChatMessage
{
    public override string Type => ChatMessageTypes.Ack;
}

/// <summary>A request failed; the connection stays open. <c>seq</c> names the request when it had one.</summary>
public sealed record ErrorMessage(string Code, string Message, int? RetryAfterMs = null) : ChatMessage
{
    public override string Type => ChatMessageTypes.Error;
}

public static class ChatErrorCodes
{
    public const string BadRequest = "bad-request";
    public const string UnknownType = "unknown-type";
    public const string SignInRequired = "sign-in-required";
    public const string InvalidText = "invalid-text";
    public const string RateLimited = "rate-limited";
    public const string SlowMode = "slow-mode";
    public const string Muted = "muted";
    public const string NotRoomOwner = "not-room-owner";
    public const string RoomEnded = "room-ended";
    public const string Unavailable = "unavailable";
}

/// <summary>What a client asks, decoded from either protocol. Types: <c>danmaku</c> {text}, <c>pong</c>,
/// <c>userlist</c> {after?, limit?}, and for the room owner <c>mute</c> {userId, seconds}, <c>unmute</c> {userId},
/// <c>slowmode</c> {seconds} (0 turns it off).</summary>
public sealed record ChatRequest(string Type, long? Seq, string? Text = null, long? UserId = null, int? Seconds = null,
    long? After = null, int? Limit = null);

public static class ChatRequestTypes
{
    public const string Danmaku = "danmaku";
    public const string Pong = "pong";
    public const string UserList = "userlist";
    public const string Mute = "mute";
    public const string Unmute = "unmute";
    public const string SlowMode = "slowmode";
}
