using LiveMicro.Media.Rtmp.Commands;
using System.Threading.Channels;
using LiveMicro.Contracts;
using LiveMicro.Rtmp.Publishing;

namespace LiveMicro.Rtmp.Streams;

/// <summary>Who publishes a stream: the room, its public name, the secret key used, and this publishing session.</summary>
public sealed record StreamIdentity(long RoomId, string Name, string StreamKey, string PublisherId);

/// <summary>
/// One published stream. A single loop owns all of its mutable state: the subscriber list, the GOP cache, the
/// current metadata and sequence headers. The publisher, joining and leaving players and the end of the stream all
/// reach it as commands in one channel, so none of that state needs a lock. The loop collects the frames of one
/// merge window and hands them to every subscriber together: one wake-up and one socket write per player per window.
/// </summary>
public sealed partial class LiveStream
{
    // An audio-only stream has no keyframes; late joiners get this many recent audio frames instead.
    private const int AudioOnlyCacheMessages = 64;

    private readonly Channel<StreamCommand> _inbox = Channel.CreateUnbounded<StreamCommand>(new UnboundedChannelOptions { SingleReader = true });
    private readonly RtmpOptions _options;
    private readonly TimeProvider _time;
    private readonly StreamEventReporter _events;
    private readonly ILogger _logger;

    // Owned by the loop.
    private readonly List<StreamSubscriber> _subscribers = [];
    private readonly List<MediaUnit> _gop = [];
    private readonly List<MediaUnit> _pending = [];
    private readonly List<EncodedWindow> _windows = [];
    private MediaUnit? _metadata;
    private MediaUnit? _videoHeader;
    private MediaUnit? _audioHeader;
    private bool _hasVideo;
    private bool _cachingGop;
    private bool _reportedPublished;
    private long _pendingSince;
    private long _rateWindowStart;
    private long _rateWindowBytes;
    private CancellationTokenSource _windowTimeout = new();

    private volatile StreamSubscriber[] _subscriberSnapshot = [];
    private long _bytesReceived;

    public LiveStream(StreamIdentity identity, RtmpOptions options, TimeProvider time, StreamEventReporter events, ILogger logger)
    {
        Identity = identity;
        _options = options;
        _time = time;
        _events = events;
        _logger = logger;
        StartedAt = time.GetUtcNow();
        _rateWindowStart = time.GetTimestamp();
        Completion = Task.Run(RunAsync);
    }

    public StreamIdentity Identity { get; }

    public string Name => Identity.Name;

    public DateTimeOffset StartedAt { get; }

    public string? VideoCodec { get; private set; }

    public string? AudioCodec { get; private set; }

    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Publisher bitrate in bits per second, over the last second or so.</summary>
    public long BitrateIn { get; private set; }

    public IReadOnlyList<StreamSubscriber> Subscribers => _subscriberSnapshot;

    /// <summary>Completes when the loop has ended the stream and released everything it held.</summary>
    public Task Completion { get; }

    /// <summary>Hands a unit (and its reference) to the stream.</summary>
    public void Post(in MediaUnit unit)
    {
        if (!_inbox.Writer.TryWrite(StreamCommand.ForMedia(unit)))
        {
            unit.Dispose();
        }
    }

    /// <summary>
    /// Subscribes: the loop sends metadata, sequence headers and the cached GOP first. False when the stream has
    /// already ended. Call <see cref="RemoveSubscriber"/> once the subscriber's writer has stopped.
    /// </summary>
    public bool TryAddSubscriber(StreamSubscriber subscriber) => _inbox.Writer.TryWrite(StreamCommand.ForAdd(subscriber));

    public void RemoveSubscriber(StreamSubscriber subscriber)
    {
        // After the end the loop takes no commands, and the subscriber's queue is complete: free what is left here.
        if (!_inbox.Writer.TryWrite(StreamCommand.ForRemove(subscriber)))
        {
            subscriber.Abandon();
        }
    }

    /// <summary>The publisher is gone: subscribers get what is queued, then the end of the stream.</summary>
    public void End(string reason) => _inbox.Writer.TryWrite(StreamCommand.ForEnd(reason));

    private async Task RunAsync()
    {
        var reader = _inbox.Reader;
        var window = _options.MergeWindow;
        var endReason = "stopped";
        try
        {
            while (true)
            {
                if (!await WaitForCommandsAsync(reader, window))
                {
                    break;
                }

                var ended = false;
                while (!ended && reader.TryRead(out var command))
                {
                    ended = Handle(command, ref endReason);
                }

                if (ended)
                {
                    break;
                }

                if (_pending.Count > 0 && _time.GetElapsedTime(_pendingSince) >= window)
                {
                    Deliver();
                }
            }
        }
        catch (Exception exception)
        {
            endReason = "internal error";
            Log.StreamLoopFailed(_logger, exception, Name);
        }
        finally
        {
            Finish(endReason);
        }
    }

    // False once the inbox is complete. With frames pending, waits at most until their window closes.
    private async ValueTask<bool> WaitForCommandsAsync(ChannelReader<StreamCommand> reader, TimeSpan window)
    {
        if (_pending.Count == 0)
        {
            return await reader.WaitToReadAsync();
        }

        var remaining = window - _time.GetElapsedTime(_pendingSince);
        if (remaining <= TimeSpan.Zero)
        {
            return true;
        }

        if (!_windowTimeout.TryReset())
        {
            _windowTimeout.Dispose();
            _windowTimeout = new CancellationTokenSource();
        }

        _windowTimeout.CancelAfter(remaining);
        try
        {
            return await reader.WaitToReadAsync(_windowTimeout.Token);
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    private bool Handle(in StreamCommand command, ref string endReason)
    {
        switch (command.Kind)
        {
            case StreamCommandKind.Media:
                Receive(command.Unit);
                return false;
            case StreamCommandKind.Add:
                Add(command.Subscriber!);
                return false;
            case StreamCommandKind.Remove:
                if (_subscribers.Remove(command.Subscriber!))
                {
                    _subscriberSnapshot = [.. _subscribers];
                }

                command.Subscriber!.Abandon();
                return false;
            default:
                endReason = command.Reason!;
                return true;
        }
    }

    private void Receive(MediaUnit unit)
    {
        Interlocked.Add(ref _bytesReceived, unit.Length);
        MeasureBitrate(unit.Length);
        switch (unit.Kind)
        {
            case MediaKind.Metadata:
                Replace(ref _metadata, unit);
                break;
            case MediaKind.Video when unit.IsSequenceHeader:
                _hasVideo = true;
                Replace(ref _videoHeader, unit);
                break;
            case MediaKind.Audio when unit.IsSequenceHeader:
                Replace(ref _audioHeader, unit);
                break;
            case MediaKind.Video:
                _hasVideo = true;
                CacheFrame(unit);
                break;
            default:
                CacheFrame(unit);
                break;
        }

        if (_pending.Count == 0)
        {
            _pendingSince = _time.GetTimestamp();
        }

        _pending.Add(unit);
    }

    /// <summary>Records the codec a publisher's message announced (called by the publisher before posting).</summary>
    internal void NoteCodec(MediaKind kind, uint codec)
    {
        if (kind == MediaKind.Video && VideoCodec is null && codec != 0)
        {
            VideoCodec = CodecNames.OfVideo(codec);
        }
        else if (kind == MediaKind.Audio && AudioCodec is null)
        {
            AudioCodec = CodecNames.OfAudio(codec);
        }
    }

    private void CacheFrame(MediaUnit unit)
    {
        if (!_reportedPublished)
        {
            // "Live" once media flows, so the event can name both codecs (their headers come first).
            _reportedPublished = true;
            _events.Report(new StreamPublished(Identity.RoomId, Name, Identity.PublisherId, "rtmp", VideoCodec, AudioCodec));
            Log.StreamLive(_logger, Name, Identity.RoomId, VideoCodec, AudioCodec);
        }

        if (unit.Kind == MediaKind.Video && unit.IsKeyFrame)
        {
            ClearGop();
            _cachingGop = true;
        }
        else if (!_hasVideo)
        {
            if (_gop.Count == AudioOnlyCacheMessages)
            {
                _gop[0].Dispose();
                _gop.RemoveAt(0);
            }

            _gop.Add(unit.Retain());
            return;
        }
        else if (!_cachingGop)
        {
            return;
        }

        if (_gop.Count == _options.MaxCachedGopMessages)
        {
            // A GOP longer than the cache: late joiners will wait for the next keyframe instead.
            ClearGop();
            _cachingGop = false;
            return;
        }

        _gop.Add(unit.Retain());
    }

    private void Add(StreamSubscriber subscriber)
    {
        // Frames in the current window are already in the GOP cache: existing subscribers get them first.
        Deliver();
        subscriber.JoinedAt = _time.GetUtcNow();
        subscriber.StreamHasAudio = _audioHeader is not null || _metadata is not { } declared || RtmpDataMessage.DeclaresAudio(declared.Payload);
        if (_metadata is { } metadata)
        {
            subscriber.Offer(metadata, isRandomAccess: false);
        }

        if (_videoHeader is { } videoHeader)
        {
            subscriber.Offer(videoHeader, isRandomAccess: false);
        }

        if (_audioHeader is { } audioHeader)
        {
            subscriber.Offer(audioHeader, isRandomAccess: false);
        }

        if (_hasVideo && _gop.Count == 0)
        {
            subscriber.StartAtNextRandomAccess();
        }

        foreach (var unit in _gop)
        {
            subscriber.Offer(unit, isRandomAccess: true);
        }

        _subscribers.Add(subscriber);
        _subscriberSnapshot = [.. _subscribers];
    }

    private void Deliver()
    {
        if (_pending.Count == 0)
        {
            return;
        }

        // Each encoding the subscribers ask for is applied once per window, and only if someone can take the result.
        foreach (var subscriber in _subscribers)
        {
            if (subscriber.WindowEncoding is { } encoding && subscriber.CanTakeWindow(_pending.Count) && subscriber.TryOfferWindow(WindowIn(encoding)))
            {
                continue;
            }

            foreach (var unit in _pending)
            {
                subscriber.Offer(unit, IsRandomAccess(unit));
            }
        }

        foreach (var window in _windows)
        {
            window.Release();
        }

        _windows.Clear();
        foreach (var unit in _pending)
        {
            unit.Dispose();
        }

        _pending.Clear();
    }

    // A handful of encodings at most (all RTMP players share one), so a list beats a dictionary.
    private EncodedWindow WindowIn(WindowEncoding encoding)
    {
        foreach (var window in _windows)
        {
            if (window.Encoding.Equals(encoding))
            {
                return window;
            }
        }

        var encoded = EncodedWindow.Encode(encoding, _pending);
        _windows.Add(encoded);
        return encoded;
    }

    private bool IsRandomAccess(in MediaUnit unit) => unit.IsKeyFrame || (unit.Kind == MediaKind.Audio && !_hasVideo);

    private void Finish(string reason)
    {
        Deliver();
        _inbox.Writer.TryComplete();
        foreach (var subscriber in _subscribers)
        {
            subscriber.Complete();
        }

        // Commands that raced with the end: free media, and let late subscribers see the end at once.
        while (_inbox.Reader.TryRead(out var command))
        {
            if (command.Kind == StreamCommandKind.Media)
            {
                command.Unit.Dispose();
            }
            else if (command.Subscriber is { } subscriber)
            {
                subscriber.Abandon();
            }
        }

        ClearGop();
        Release(ref _metadata);
        Release(ref _videoHeader);
        Release(ref _audioHeader);
        _windowTimeout.Dispose();
        if (_reportedPublished)
        {
            _events.Report(new StreamUnpublished(Identity.RoomId, Name, Identity.PublisherId, reason));
        }

        Log.StreamEnded(_logger, Name, reason, _subscribers.Count);
    }

    private void MeasureBitrate(int length)
    {
        _rateWindowBytes += length;
        var elapsed = _time.GetElapsedTime(_rateWindowStart);
        if (elapsed >= TimeSpan.FromSeconds(1))
        {
            BitrateIn = (long)(_rateWindowBytes * 8 / elapsed.TotalSeconds);
            _rateWindowBytes = 0;
            _rateWindowStart = _time.GetTimestamp();
        }
    }

    private void ClearGop()
    {
        foreach (var unit in _gop)
        {
            unit.Dispose();
        }

        _gop.Clear();
    }

    private static void Replace(ref MediaUnit? slot, MediaUnit unit)
    {
        Release(ref slot);
        slot = unit.Retain();
    }

    private static void Release(ref MediaUnit? slot)
    {
        slot?.Dispose();
        slot = null;
    }

    private enum StreamCommandKind : byte
    {
        Media,
        Add,
        Remove,
        End,
    }

    private readonly record struct StreamCommand(StreamCommandKind Kind, MediaUnit Unit, StreamSubscriber? Subscriber, string? Reason)
    {
        public static StreamCommand ForMedia(MediaUnit unit) => new(StreamCommandKind.Media, unit, null, null);

        public static StreamCommand ForAdd(StreamSubscriber subscriber) => new(StreamCommandKind.Add, default, subscriber, null);

        public static StreamCommand ForRemove(StreamSubscriber subscriber) => new(StreamCommandKind.Remove, default, subscriber, null);

        public static StreamCommand ForEnd(string reason) => new(StreamCommandKind.End, default, null, reason);
    }

    private static partial class Log
    {
        [LoggerMessage(1001, LogLevel.Information, "Stream {StreamName} of room {RoomId} is live ({VideoCodec}, {AudioCodec})")]
        public static partial void StreamLive(ILogger logger, string streamName, long roomId, string? videoCodec, string? audioCodec);

        [LoggerMessage(1002, LogLevel.Information, "Stream {StreamName} ended ({Reason}); {Subscribers} subscribers were attached")]
        public static partial void StreamEnded(ILogger logger, string streamName, string reason, int subscribers);

        [LoggerMessage(1003, LogLevel.Error, "The loop of stream {StreamName} failed")]
        public static partial void StreamLoopFailed(ILogger logger, Exception exception, string streamName);
    }
}
