using LiveMicro.Media.Rtmp;
using LiveMicro.Rtmp.Streams;

namespace LiveMicro.Rtmp.Rtmp;

/// <summary>The RTMP play adapter: units become RTMP messages on the player's connection, a batch per flush; a window
/// shared with the other players is copied as encoded once.</summary>
internal sealed class RtmpPlayer(RtmpSession session, uint messageStreamId, int queueCapacity) : StreamSubscriber(queueCapacity)
{
    // Every player of a server has the same chunk size and message stream, so all of them share one encoding.
    private readonly RtmpMediaEncoding _encoding = session.MediaEncoding(messageStreamId);

    public override string Protocol => "rtmp";

    internal override WindowEncoding WindowEncoding => _encoding;

    protected override ValueTask BeginBatchAsync(CancellationToken cancellationToken) => session.AcquireOutputAsync(cancellationToken);

    protected override int Write(in MediaUnit unit) => session.WriteMedia(messageStreamId, unit);

    protected override int WriteWindow(ReadOnlySpan<byte> encoded) => session.WriteEncodedMedia(encoded);

    protected override ValueTask EndBatchAsync(CancellationToken cancellationToken) => session.FlushAndReleaseOutputAsync();

    protected override ValueTask WriteEndAsync(CancellationToken cancellationToken) => session.WritePlayEndAsync(messageStreamId, cancellationToken);
}
