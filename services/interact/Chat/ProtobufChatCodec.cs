using Google.Protobuf;
using LiveMicro.Interact.Chat.Protobuf;
using Pb = LiveMicro.Interact.Chat.Protobuf;

namespace LiveMicro.Interact.Chat;

/// <summary>The binary protocol (subprotocol <c>livemicro.proto</c>): <see cref="ServerEnvelope"/> and
/// <see cref="ClientEnvelope"/> from <c>Protos/chat.proto</c>, generated at build time by Grpc.Tools' protoc.</summary>
public static class ProtobufChatCodec
{
    public static byte[] Encode(ChatMessage message, long? seq = null)
    {
        var envelope = new ServerEnvelope { Type = message.Type };
        if (seq is { } value) envelope.Seq = value;
        switch (message)
        {
            case WelcomeMessage m:
                envelope.Welcome = new Welcome
                {
                    ConnectionId = m.ConnectionId, RoomId = m.RoomId, Viewers = m.Viewers, RoomStatus = m.RoomStatus,
                    SlowModeSeconds = m.SlowModeSeconds,
                };
                if (m.UserId is { } userId) envelope.Welcome.UserId = userId;
                if (m.Name is { } name) envelope.Welcome.Name = name;
                break;
            case HistoryMessage m:
                envelope.History = new History();
                envelope.History.Messages.AddRange(m.Messages.Select(ToProto));
                break;
            case DanmakuMessage m:
                envelope.Danmaku = ToProto(m);
                break;
            case EnterMessage m:
                envelope.Enter = new Presence { RoomId = m.RoomId, UserId = m.UserId, Name = m.Name, Viewers = m.Viewers };
                break;
            case LeaveMessage m:
                envelope.Leave = new Presence { RoomId = m.RoomId, UserId = m.UserId, Name = m.Name, Viewers = m.Viewers };
                break;
            case ViewersMessage m:
                envelope.Viewers = new Viewers { RoomId = m.RoomId, Viewers_ = m.Viewers };
                break;
            case GiftMessage m:
                envelope.Gift = new Gift
                {
                    TransactionId = m.TransactionId, RoomId = m.RoomId, AnchorId = m.AnchorId, AnchorName = m.AnchorName,
                    SenderId = m.SenderId, SenderName = m.SenderName, GiftId = m.GiftId, GiftName = m.GiftName,
                    ImageUrl = m.ImageUrl, Level = m.Level, Count = m.Count, TotalCoins = m.TotalCoins,
                };
                break;
            case RoomStatusMessage m:
                envelope.Room = new RoomStatus { RoomId = m.RoomId, Status = m.Status, Title = m.Title, AnchorName = m.AnchorName };
                break;
            case PushMessage m:
                envelope.Push = new Push { MessageId = m.MessageId, Topic = m.Topic, PayloadJson = m.Payload.GetRawText() };
                break;
            case LotteryMessage m:
                envelope.Lottery = new Lottery
                {
                    LotteryId = m.LotteryId, RoomId = m.RoomId, Prize = m.Prize, Status = m.Status, WinnerCount = m.WinnerCount,
                    JoinMode = m.JoinMode, FollowersOnly = m.FollowersOnly, ClosesAt = m.ClosesAt.ToUnixTimeMilliseconds(),
                    Entrants = m.Entrants,
                };
                if (m.Keyword is { } keyword) envelope.Lottery.Keyword = keyword;
                envelope.Lottery.Winners.AddRange(m.Winners.Select(w => new Pb.LotteryWinner { UserId = w.UserId, Name = w.Name }));
                break;
            case ModerationMessage m:
                envelope.Moderation = new Moderation { RoomId = m.RoomId, Action = m.Action, Seconds = m.Seconds };
                if (m.UserId is { } mutedId) envelope.Moderation.UserId = mutedId;
                break;
            case UserListMessage m:
                envelope.Userlist = new UserList { Total = m.Total };
                envelope.Userlist.Users.AddRange(m.Users.Select(u => new Pb.ChatUser { UserId = u.UserId, Name = u.Name }));
                if (m.Next is { } next) envelope.Userlist.Next = next;
                break;
            case PingMessage m:
                envelope.Ping = new Ping { Time = m.Time };
                break;
            case AckMessage:
                envelope.Ack = new Ack();
                break;
            case ErrorMessage m:
                envelope.Error = new Error { Code = m.Code, Message = m.Message };
                if (m.RetryAfterMs is { } retry) envelope.Error.RetryAfterMs = retry;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(message), message.Type, "no protobuf form");
        }

        return envelope.ToByteArray();
    }

    /// <summary>A client request; null with a reason when the bytes are not a <see cref="ClientEnvelope"/>.</summary>
    public static ChatRequest? DecodeRequest(ReadOnlySpan<byte> bytes, out string? error)
    {
        error = null;
        ClientEnvelope envelope;
        try
        {
            envelope = ClientEnvelope.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            error = $"Not a ClientEnvelope: {e.Message}";
            return null;
        }

        if (envelope.Type.Length == 0)
        {
            error = "The envelope has no type.";
            return null;
        }

        return new ChatRequest(envelope.Type, envelope.HasSeq ? envelope.Seq : null, envelope.HasText ? envelope.Text : null,
            envelope.HasUserId ? envelope.UserId : null, envelope.HasSeconds ? envelope.Seconds : null,
            envelope.HasAfter ? envelope.After : null, envelope.HasLimit ? envelope.Limit : null);
    }

    private static Danmaku ToProto(DanmakuMessage m) =>
        new() { Id = m.Id, RoomId = m.RoomId, UserId = m.UserId, Name = m.Name, Text = m.Text, SentAt = m.SentAt };
}
