using LiveMicro.Contracts;
using LiveMicro.EventBus;
using LiveMicro.Rtmp.Streams;

namespace LiveMicro.Rtmp.Publishing;

/// <summary>The live service rotated a room's key or ended the room: cut its publisher off here at once. (The event
/// reaches one instance of this service; <see cref="PublisherReauthorization"/> covers the publishers of the
/// others within a cache period.)</summary>
public sealed class PublishingRevokedHandler(StreamRegistry streams, LiveServiceClient live) : IIntegrationEventHandler<PublishingRevoked>
{
    public Task HandleAsync(PublishingRevoked @event, CancellationToken cancellationToken)
    {
        if (streams.TryGet(@event.StreamName, out var stream) && stream.Identity.RoomId == @event.RoomId)
        {
            live.Forget(stream.Identity.StreamKey);
            streams.Revoke(@event.StreamName, @event.Reason);
        }

        return Task.CompletedTask;
    }
}
