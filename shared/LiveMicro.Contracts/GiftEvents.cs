using LiveMicro.EventBus;

namespace LiveMicro.Contracts;

public sealed record GiftSent(long RoomId, long AnchorId, long SenderId, string SenderName, long GiftId,
    string GiftName, int Count, long TotalCoins, string Level) : IntegrationEvent;
