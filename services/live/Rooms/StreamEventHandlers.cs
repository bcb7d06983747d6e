using LiveMicro.Contracts;
using LiveMicro.EventBus;

namespace LiveMicro.Live.Rooms;

/// <summary>A room is live only while media flows: the media server's events, not the client, say so.</summary>
public sealed class StreamPublishedHandler(RoomLifecycle rooms) : IIntegrationEventHandler<StreamPublished>
{
    public Task HandleAsync(StreamPublished @event, CancellationToken cancellationToken) =>
        rooms.GoLiveAsync(@event.RoomId, @event.PublisherId, cancellationToken);
}

public sealed class StreamUnpublishedHandler(RoomLifecycle rooms) : IIntegrationEventHandler<StreamUnpublished>
{
    public Task HandleAsync(StreamUnpublished @event, CancellationToken cancellationToken) =>
        rooms.GoOfflineAsync(@event.RoomId, @event.PublisherId, cancellationToken);
}
