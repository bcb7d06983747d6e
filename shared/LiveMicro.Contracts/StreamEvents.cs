using LiveMicro.EventBus;

namespace LiveMicro.Contracts;

/// <summary>Media started flowing for a room (RTMP publish or WebRTC ingest). <paramref name="PublisherId"/>
/// identifies this publishing session, so a late <see cref="StreamUnpublished"/> of an older session cannot take a
/// newer one offline.</summary>
public sealed record StreamPublished(long RoomId, string StreamName, string PublisherId, string Protocol,
    string? VideoCodec, string? AudioCodec) : IntegrationEvent;

public sealed record StreamUnpublished(long RoomId, string StreamName, string PublisherId, string Reason) : IntegrationEvent;

/// <summary>The room's stream key was rotated or the room ended: a media server publishing <paramref name="StreamName"/>
/// must cut that publisher off.</summary>
public sealed record PublishingRevoked(long RoomId, string StreamName, string Reason) : IntegrationEvent;
