using LiveMicro.Media.Rtmp;
using LiveMicro.Rtmp.Streams;

namespace LiveMicro.Rtmp.Rtmp;

/// <summary>The RTMP play adapter: units become RTMP messages on the player's connection, a batch per flush.</summary>
internal sealed class RtmpPlayer(RtmpSession session, uint messageStreamId, int queueCapacity) : StreamSubscriber(queueCapacity)
{
    public override string Protocol => "rtmp";

    protected override ValueTask BeginBatchAsync(CancellationToken cancellationToken) => session.AcquireOutputAsync(cancellationToken);

    protected override int Write(in MediaUnit unit) => session.WriteMedia(messageStreamId, unit);

    protected override ValueTask EndBatchAsync(CancellationToken cancellationToken) => session.FlushAndReleaseOutputAsync();

    protected override ValueTask WriteEndAsync(CancellationToken cancellationToken) => session.WritePlayEndAsync(messageStreamId, cancellationToken);
}
