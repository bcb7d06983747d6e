using System.Threading.Channels;

namespace LiveMicro.Rtmp.Streams;

/// <summary>
/// One consumer of a live stream (an RTMP player, an HTTP-FLV response, the HLS segmenter). The stream's loop
/// <see cref="Offer"/>s it references to shared media units; the subscriber's own writer loop
/// (<see cref="RunAsync"/>) sends them. A subscriber in step with the stream that has a <see cref="WindowEncoding"/> is
/// instead offered each merge window's units already encoded, as one item shared with every such subscriber. The queue
/// between the two is bounded in units (a window weighs the units it holds): a subscriber that falls that far behind
/// drops its backlog and resumes at the next keyframe, so a slow player costs a bounded number of references and never
/// delays the others.
/// </summary>
public abstract class StreamSubscriber
{
    /// <summary>Bytes written between two flushes at most (a unit is never split, so one batch may pass it once).</summary>
    public const int MaxBatchBytes = 64 * 1024;

    private readonly Channel<QueuedItem> _queue;
    private readonly int _queueCapacity;

    // Units queued, windows counted as the units they hold: written by the stream loop, lowered by the writer loop.
    private int _queuedUnits;

    // Bumped by the stream loop when it gives up on the backlog; queued units of an older epoch are skipped.
    private int _epoch;

    // Owned by the stream loop.
    private bool _awaitingRandomAccess;
    private long _droppedUnits;
    private long _bytesSent;

    protected StreamSubscriber(int queueCapacity)
    {
        // Bounded by _queuedUnits rather than by the channel, since a window item stands for several units.
        _queue = Channel.CreateUnbounded<QueuedItem>(new UnboundedChannelOptions { SingleWriter = true });
        _queueCapacity = queueCapacity;
    }

    /// <summary>"rtmp", "flv" or "hls".</summary>
    public abstract string Protocol { get; }

    public DateTimeOffset JoinedAt { get; internal set; }

    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Units skipped because this subscriber fell behind.</summary>
    public long DroppedUnits => Interlocked.Read(ref _droppedUnits);

    /// <summary>Units queued for the writer right now; never more than the queue capacity.</summary>
    public int QueuedUnits => Volatile.Read(ref _queuedUnits);

    /// <summary>
    /// The encoding in which this subscriber takes whole merge windows (<see cref="WriteWindow"/>); null for one unit
    /// at a time only. Called by the stream loop per window: return the same instance every time.
    /// </summary>
    internal virtual WindowEncoding? WindowEncoding => null;

    /// <summary>
    /// Called by the stream loop only: whether a whole window of <paramref name="unitCount"/> units may be offered, i.e.
    /// this subscriber is in step (not waiting for a keyframe) and has room for all of it. Otherwise the window's units
    /// are offered one by one, which skips to a keyframe or fills the queue to the unit exactly as before.
    /// </summary>
    internal bool CanTakeWindow(int unitCount) => !_awaitingRandomAccess && Volatile.Read(ref _queuedUnits) + unitCount <= _queueCapacity;

    /// <summary>Called by the stream loop only, after <see cref="CanTakeWindow"/>; false: offer the units instead.</summary>
    internal bool TryOfferWindow(EncodedWindow window)
    {
        Interlocked.Add(ref _queuedUnits, window.UnitCount);
        if (_queue.Writer.TryWrite(new QueuedItem(default, window.Retain(), _epoch)))
        {
            return true;
        }

        // The writer has stopped taking items; the unit path accounts for that as it always did.
        Interlocked.Add(ref _queuedUnits, -window.UnitCount);
        window.Release();
        return false;
    }

    /// <summary>Called by the stream loop only. <paramref name="isRandomAccess"/>: a player may (re)start here.</summary>
    internal void Offer(in MediaUnit unit, bool isRandomAccess)
    {
        if (_awaitingRandomAccess)
        {
            if (isRandomAccess)
            {
                _awaitingRandomAccess = false;
            }
            else if (unit.Kind != MediaKind.Metadata && !unit.IsSequenceHeader)
            {
                Interlocked.Increment(ref _droppedUnits);
                return;
            }
        }

        if (Volatile.Read(ref _queuedUnits) < _queueCapacity)
        {
            Interlocked.Increment(ref _queuedUnits);
            var retained = unit.Retain();
            if (_queue.Writer.TryWrite(new QueuedItem(retained, null, _epoch)))
            {
                return;
            }

            retained.Dispose();
            Interlocked.Decrement(ref _queuedUnits);
        }

        Interlocked.Increment(ref _droppedUnits);
        Volatile.Write(ref _epoch, _epoch + 1);
        _awaitingRandomAccess = true;
        OnFellBehind();
    }

    /// <summary>Set by the stream loop as the subscriber joins, before anything is queued: false when the publisher's
    /// metadata declares no audio track, so a player's container header can say so.</summary>
    internal bool StreamHasAudio { get; set; } = true;

    /// <summary>Called by the stream loop for a subscriber joining when no GOP is cached: start at the next keyframe.</summary>
    internal void StartAtNextRandomAccess() => _awaitingRandomAccess = true;

    /// <summary>Called by the stream loop when the stream ends: the writer sends what is queued, then the end.</summary>
    internal void Complete() => _queue.Writer.TryComplete();

    /// <summary>Called by the stream loop when the subscriber left: nothing more will be queued, so free what is.</summary>
    internal void Abandon()
    {
        _queue.Writer.TryComplete();
        Drain();
    }

    /// <summary>Sends queued units until the stream ends (then <see cref="WriteEndAsync"/>) or the token fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = _queue.Reader;
        try
        {
            await WriteStartAsync(cancellationToken);
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                // A batch is what is queued, up to MaxBatchBytes: a player that is behind flushes (and waits for its
                // socket) every 64 KB instead of copying its whole backlog into the connection's buffers first.
                var more = true;
                while (more)
                {
                    var batchBytes = 0;
                    await BeginBatchAsync(cancellationToken);
                    try
                    {
                        while (true)
                        {
                            if (batchBytes >= MaxBatchBytes || !reader.TryRead(out var queued))
                            {
                                more = batchBytes >= MaxBatchBytes;
                                break;
                            }

                            try
                            {
                                if (queued.Epoch == Volatile.Read(ref _epoch))
                                {
                                    var written = queued.Window is { } window ? WriteWindow(window.Bytes) : Write(queued.Unit);
                                    batchBytes += written;
                                    Interlocked.Add(ref _bytesSent, written);
                                }
                            }
                            finally
                            {
                                Dequeued(queued);
                            }
                        }
                    }
                    finally
                    {
                        await EndBatchAsync(cancellationToken);
                    }
                }
            }

            await WriteEndAsync(cancellationToken);
        }
        finally
        {
            Drain();
        }
    }

    protected virtual ValueTask WriteStartAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Before a batch of writes (e.g. take the connection's output lock).</summary>
    protected virtual ValueTask BeginBatchAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Writes one unit into the output buffer; returns the bytes written.</summary>
    protected abstract int Write(in MediaUnit unit);

    /// <summary>Writes a whole window encoded in <see cref="WindowEncoding"/>; returns the bytes written.</summary>
    protected virtual int WriteWindow(ReadOnlySpan<byte> encoded) => throw new NotSupportedException($"{GetType().Name} has no window encoding.");

    /// <summary>After a batch: one flush, i.e. one socket write for everything the batch wrote.</summary>
    protected abstract ValueTask EndBatchAsync(CancellationToken cancellationToken);

    /// <summary>The stream ended (publisher gone): tell the player.</summary>
    protected virtual ValueTask WriteEndAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    protected virtual void OnFellBehind()
    {
    }

    private void Drain()
    {
        while (_queue.Reader.TryRead(out var queued))
        {
            Dequeued(queued);
        }
    }

    private void Dequeued(in QueuedItem queued)
    {
        if (queued.Window is { } window)
        {
            Interlocked.Add(ref _queuedUnits, -window.UnitCount);
            window.Release();
        }
        else
        {
            Interlocked.Decrement(ref _queuedUnits);
            queued.Unit.Dispose();
        }
    }

    /// <summary>A unit, or (with <see cref="Window"/> set) a whole encoded window.</summary>
    private readonly record struct QueuedItem(MediaUnit Unit, EncodedWindow? Window, int Epoch);
}
