using System.Buffers;
using System.IO.Pipelines;
using LiveMicro.Media.Flv;
using LiveMicro.Rtmp.Streams;

namespace LiveMicro.Rtmp.HttpFlv;

/// <summary>The HTTP-FLV adapter: an FLV header, then each unit as an FLV tag on the chunked response body;
/// a window's tags are encoded once for every HTTP-FLV player.</summary>
internal sealed class FlvPlayer(PipeWriter body, TimeSpan writeTimeout, int queueCapacity) : StreamSubscriber(queueCapacity), IDisposable
{
    private CancellationTokenSource? _writeTimeout;

    public override string Protocol => "flv";

    protected override ValueTask WriteStartAsync(CancellationToken cancellationToken)
    {
        // One timer for the response's life, re-armed per flush: a client that stops reading is dropped.
        _writeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        return ValueTask.CompletedTask;
    }

    internal override WindowEncoding WindowEncoding => FlvTagEncoding.Instance;

    protected override int Write(in MediaUnit unit)
    {
        var header = WriteHeaderOnce();
        FlvWriter.WriteTag(body, FlvTagEncoding.TagTypeOf(unit.Kind), unit.Timestamp, unit.Payload);
        return header + unit.Length + FlvWriter.TagOverhead;
    }

    protected override int WriteWindow(ReadOnlySpan<byte> encoded)
    {
        var header = WriteHeaderOnce();
        body.Write(encoded);
        return header + encoded.Length;
    }

    /// <summary>The file header goes with the first tags, once the stream loop has said whether there is audio: a
    /// header that promises audio makes players (ffmpeg, flv.js) wait for it.</summary>
    private int WriteHeaderOnce()
    {
        if (_headerWritten) return 0;
        _headerWritten = true;
        FlvWriter.WriteFileHeader(body, hasAudio: StreamHasAudio, hasVideo: true);
        return FlvWriter.FileHeaderLength;
    }

    private bool _headerWritten;

    protected override ValueTask EndBatchAsync(CancellationToken cancellationToken) => FlushAsync();

    /// <summary>Frees the write timer once the response is over.</summary>
    public void Dispose() => _writeTimeout?.Dispose();

    private async ValueTask FlushAsync()
    {
        // Only a flush that has to wait arms the timer: no timer operations per flush in the steady state.
        var flush = body.FlushAsync(_writeTimeout!.Token);
        FlushResult result;
        if (flush.IsCompleted)
        {
            result = flush.Result;
        }
        else
        {
            _writeTimeout.CancelAfter(writeTimeout);
            result = await flush;
            _writeTimeout.CancelAfter(Timeout.InfiniteTimeSpan);
        }

        if (result.IsCanceled || result.IsCompleted)
        {
            throw new OperationCanceledException("The HTTP-FLV client went away.");
        }
    }
}
