using System.Buffers;
using System.IO.Pipelines;
using LiveMicro.Media.Rtmp;
using LiveMicro.Media.Rtmp.Commands;
using LiveMicro.Rtmp.Publishing;
using LiveMicro.Rtmp.Streams;
using Microsoft.AspNetCore.Connections;

namespace LiveMicro.Rtmp.Rtmp;

/// <summary>
/// One RTMP connection: handshake, NetConnection commands, then either publishing (media into a
/// <see cref="LiveStream"/>) or playing (an <see cref="RtmpPlayer"/> writing the stream out). The read loop is the
/// only reader; everything written to the connection (command answers, acknowledgements, the player's media) goes
/// through one output lock, because it shares the pipe and the chunk writer's header compression state.
/// </summary>
internal sealed partial class RtmpSession : IStreamPublisher
{
    // One NetStream per connection is all encoders and players use.
    private const uint MediaStreamId = 1;
    private const int CommandChunkStreamId = 3;
    private const int DataChunkStreamId = RtmpMediaEncoding.DataChunkStreamId;
    private const uint AcknowledgementWindow = 2_500_000;

    private readonly ConnectionContext _connection;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly StreamRegistry _registry;
    private readonly LiveServiceClient _liveService;
    private readonly RtmpOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RtmpServerHandshake _handshake = new();
    private readonly RtmpChunkReader _reader;
    private readonly RtmpChunkWriter _writer = new();
    private readonly ArrayBufferWriter<byte> _command = new(256);
    private readonly SemaphoreSlim _outputLock = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly CancellationTokenSource _writeTimeout;
    private readonly List<MediaUnit> _received = [];
    private CancellationTokenSource _readTimeout;
    private SessionState _state;
    private PublishCommand? _pendingPublish;
    private string? _pendingPlay;
    private LiveStream? _published;
    private LiveStream? _playedStream;
    private RtmpPlayer? _player;
    private Task? _playerWriter;
    private long _lastReceived;
    private string _closeReason = "disconnected";

    public RtmpSession(ConnectionContext connection, StreamRegistry registry, LiveServiceClient liveService, RtmpOptions options,
        TimeProvider time, ILogger logger)
    {
        _connection = connection;
        _input = connection.Transport.Input;
        _output = connection.Transport.Output;
        _registry = registry;
        _liveService = liveService;
        _options = options;
        _time = time;
        _logger = logger;
        _reader = new RtmpChunkReader(new RtmpChunkReaderLimits { MaxMessageLength = options.MaxMessageLength });
        _readTimeout = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        _writeTimeout = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        _lastReceived = time.GetTimestamp();
    }

    private enum SessionState
    {
        AwaitingConnect,
        Connected,
        Publishing,
        Playing,
    }

    private enum SessionAction
    {
        Continue,
        Publish,
        Play,
        Close,
    }

    public TimeSpan QuietFor => _time.GetElapsedTime(Volatile.Read(ref _lastReceived));

    public void Evict(string reason) => Close(reason);

    public async Task RunAsync()
    {
        Log.Connected(_logger, _connection.ConnectionId, _connection.RemoteEndPoint?.ToString());
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                var result = await ReadAsync();
                var buffer = result.Buffer;
                SessionAction action;
                await _outputLock.WaitAsync(_closing.Token);
                try
                {
                    action = Process(buffer, out var consumed);
                    _input.AdvanceTo(consumed, buffer.End);
                    await FlushAsync();
                }
                finally
                {
                    _outputLock.Release();
                }

                PostReceived();
                action = action switch
                {
                    SessionAction.Publish => await StartPublishingAsync(),
                    SessionAction.Play => await StartPlayingAsync(),
                    _ => action,
                };
                if (action == SessionAction.Close)
                {
                    return;
                }

                if (result.IsCompleted)
                {
                    _closeReason = _state == SessionState.Publishing && !buffer.IsEmpty ? "disconnected mid-message" : "disconnected";
                    return;
                }
            }
        }
        catch (RtmpProtocolException exception)
        {
            _closeReason = "protocol error";
            Log.ProtocolError(_logger, _connection.ConnectionId, exception.Error, exception.Message);
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
        }
        catch (Exception exception) when (exception is ConnectionResetException or IOException or ObjectDisposedException)
        {
            _closeReason = "connection reset";
        }
        finally
        {
            await CleanUpAsync();
        }
    }

    // ---- Player side: called by RtmpPlayer's writer loop ----

    internal ValueTask AcquireOutputAsync(CancellationToken cancellationToken) => new(_outputLock.WaitAsync(cancellationToken));

    internal int WriteMedia(uint messageStreamId, in MediaUnit unit)
    {
        var (chunkStreamId, type) = RtmpMediaEncoding.MessageOf(unit.Kind);
        // Chunk headers included, as for a shared window (and for FLV tags), so the players' byte count is one measure.
        return _writer.WriteMessage(_output, chunkStreamId, type, messageStreamId, unit.Timestamp, unit.Payload);
    }

    /// <summary>The encoding this connection's media can share with other players' (see <see cref="WriteEncodedMedia"/>).</summary>
    internal RtmpMediaEncoding MediaEncoding(uint messageStreamId) => new(_writer.ChunkSize, messageStreamId);

    /// <summary>Writes media already encoded as self-contained chunks at our chunk size; returns the bytes written.</summary>
    internal int WriteEncodedMedia(ReadOnlySpan<byte> chunks)
    {
        _output.Write(chunks);

        // Those chunks set the player's view of the media chunk streams: our own next header there must be type 0.
        _writer.ForgetChunkStream(RtmpMediaEncoding.AudioChunkStreamId);
        _writer.ForgetChunkStream(RtmpMediaEncoding.DataChunkStreamId);
        _writer.ForgetChunkStream(RtmpMediaEncoding.VideoChunkStreamId);
        return chunks.Length;
    }

    internal async ValueTask FlushAndReleaseOutputAsync()
    {
        try
        {
            await FlushAsync();
        }
        finally
        {
            _outputLock.Release();
        }
    }

    internal async ValueTask WritePlayEndAsync(uint messageStreamId, CancellationToken cancellationToken)
    {
        await _outputLock.WaitAsync(cancellationToken);
        try
        {
            RtmpUserControlEvent.StreamEof(messageStreamId).WriteTo(_writer, _output);
            WriteStatus(messageStreamId, RtmpStatusLevel.Status, RtmpStatusCode.PlayUnpublishNotify, "The publisher stopped.");
            WriteStatus(messageStreamId, RtmpStatusLevel.Status, RtmpStatusCode.PlayStop, "Stopped playing.");
            await FlushAsync();
        }
        finally
        {
            _outputLock.Release();
        }

        Close("stream ended");
    }

    // ---- Read side ----

    private async ValueTask<ReadResult> ReadAsync()
    {
        var timeout = _state switch
        {
            SessionState.Publishing => _options.PublisherIdleTimeout,
            // Players send almost nothing; a dead one is caught by the write timeout instead.
            SessionState.Playing => Timeout.InfiniteTimeSpan,
            _ => _options.HandshakeTimeout,
        };
        if (!_readTimeout.TryReset())
        {
            _readTimeout.Dispose();
            _readTimeout = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        }

        _readTimeout.CancelAfter(timeout);
        try
        {
            return await _input.ReadAsync(_readTimeout.Token);
        }
        catch (OperationCanceledException) when (!_closing.IsCancellationRequested)
        {
            Log.TimedOut(_logger, _connection.ConnectionId, _state.ToString(), timeout.TotalSeconds);
            Close(_state == SessionState.Publishing ? "idle timeout" : "handshake timeout");
            throw;
        }
    }

    private SessionAction Process(ReadOnlySequence<byte> buffer, out SequencePosition consumed)
    {
        var input = new SequenceReader<byte>(buffer);
        if (!buffer.IsEmpty)
        {
            Volatile.Write(ref _lastReceived, _time.GetTimestamp());
        }

        try
        {
            if (_handshake.State != RtmpHandshakeState.Completed && !_handshake.TryAdvance(ref input, _output))
            {
                return SessionAction.Continue;
            }

            while (_reader.TryReadMessage(ref input, out var message))
            {
                var action = Handle(message);
                if (action != SessionAction.Continue)
                {
                    return action;
                }
            }

            if (_reader.TryTakeAcknowledgement(out var sequenceNumber))
            {
                _writer.WriteAcknowledgement(_output, sequenceNumber);
            }

            return SessionAction.Continue;
        }
        finally
        {
            consumed = input.Position;
        }
    }

    /// <summary>Takes ownership of <paramref name="message"/>.</summary>
    private SessionAction Handle(RtmpMessage message)
    {
        switch (message.Header.Type)
        {
            case RtmpMessageType.Audio or RtmpMessageType.Video when _published is not null:
                var unit = MediaUnit.FromMessage(message, out var codec);
                _published.NoteCodec(unit.Kind, codec);
                _received.Add(unit);
                return SessionAction.Continue;
            case RtmpMessageType.DataAmf0 when _published is not null:
                if (RtmpDataMessage.TryStripSetDataFrame(message.Payload, out var metadata))
                {
                    _received.Add(new MediaUnit(MediaKind.Metadata, message.Header.Timestamp, MediaFlags.None, message, message.Header.Length - metadata.Length));
                }
                else
                {
                    message.Dispose();
                }

                return SessionAction.Continue;
            case RtmpMessageType.CommandAmf0 or RtmpMessageType.CommandAmf3:
                using (message)
                {
                    return HandleCommand(RtmpCommandDecoder.Decode(message.Header.Type, message.Payload));
                }

            case RtmpMessageType.UserControl:
                using (message)
                {
                    var control = RtmpUserControlEvent.Parse(message.Payload);
                    if (control.Type == RtmpUserControlEventType.PingRequest)
                    {
                        RtmpUserControlEvent.PingResponse(control.Timestamp).WriteTo(_writer, _output);
                    }
                }

                return SessionAction.Continue;
            default:
                // Acknowledgements, bandwidth hints, AMF3 data and media on a connection that does not publish.
                message.Dispose();
                return SessionAction.Continue;
        }
    }

    private SessionAction HandleCommand(RtmpCommand command)
    {
        _command.ResetWrittenCount();
        switch (command)
        {
            case ConnectCommand connect when _state == SessionState.AwaitingConnect:
                var app = WithoutQuery(connect.App).TrimEnd('/');
                if (!string.Equals(app, _options.Application, StringComparison.Ordinal))
                {
                    Log.Refused(_logger, _connection.ConnectionId, $"unknown application '{app}'");
                    RtmpCommandWriter.WriteError(_command, connect.TransactionId, RtmpStatusCode.ConnectInvalidApp, $"No application '{app}'; use '{_options.Application}'.");
                    SendCommand(0);
                    return SessionAction.Close;
                }

                _writer.WriteWindowAcknowledgementSize(_output, AcknowledgementWindow);
                _writer.WriteSetPeerBandwidth(_output, AcknowledgementWindow, RtmpPeerBandwidthLimitType.Dynamic);
                _writer.WriteSetChunkSize(_output, _options.ChunkSize);
                RtmpCommandWriter.WriteConnectResult(_command, connect.TransactionId, connect.ObjectEncoding);
                SendCommand(0);
                _state = SessionState.Connected;
                return SessionAction.Continue;
            case ConnectCommand:
                return Refuse(RtmpStatusCode.ConnectRejected, "connect sent twice");
            case CreateStreamCommand createStream when _state == SessionState.Connected:
                RtmpCommandWriter.WriteCreateStreamResult(_command, createStream.TransactionId, MediaStreamId);
                SendCommand(0);
                return SessionAction.Continue;
            case PublishCommand publish when _state == SessionState.Connected:
                _pendingPublish = publish;
                return SessionAction.Publish;
            case PlayCommand play when _state == SessionState.Connected:
                _pendingPlay = WithoutQuery(play.StreamName);
                return SessionAction.Play;
            case DeleteStreamCommand or CloseStreamCommand or FCUnpublishCommand when _state is SessionState.Publishing or SessionState.Playing:
                _closeReason = _state == SessionState.Publishing ? "stopped" : "player left";
                return SessionAction.Close;
            case PublishCommand or PlayCommand when _state == SessionState.AwaitingConnect:
                return Refuse(RtmpStatusCode.ConnectRejected, $"{command.Name} before connect");
            default:
                // releaseStream, FCPublish, _checkbw, getStreamLength, a second publish/play: nothing to do.
                return SessionAction.Continue;
        }
    }

    private SessionAction Refuse(string code, string reason)
    {
        Log.Refused(_logger, _connection.ConnectionId, reason);
        RtmpCommandWriter.WriteError(_command, 0, code, reason);
        SendCommand(0);
        _closeReason = reason;
        return SessionAction.Close;
    }

    private void PostReceived()
    {
        foreach (var unit in _received)
        {
            if (_published is { } stream)
            {
                stream.Post(unit);
            }
            else
            {
                unit.Dispose();
            }
        }

        _received.Clear();
    }

    private async Task<SessionAction> StartPublishingAsync()
    {
        var publish = _pendingPublish!;
        _pendingPublish = null;
        var streamKey = WithoutQuery(publish.StreamName);
        var answer = streamKey.Length == 0
            ? new StreamAuthorization.Refused()
            : await _liveService.AuthorizeAsync(streamKey, _closing.Token);

        await _outputLock.WaitAsync(_closing.Token);
        try
        {
            switch (answer)
            {
                case StreamAuthorization.Granted granted:
                    var identity = new StreamIdentity(granted.RoomId, granted.StreamName, streamKey, Guid.NewGuid().ToString("N"));
                    var stream = _registry.TryStartPublish(identity, this);
                    if (stream is null)
                    {
                        return await RefusePublishAsync(RtmpStatusCode.PublishBadName, $"{granted.StreamName} is already being published.", "already publishing");
                    }

                    _published = stream;
                    _state = SessionState.Publishing;
                    RtmpUserControlEvent.StreamBegin(MediaStreamId).WriteTo(_writer, _output);
                    WriteStatus(MediaStreamId, RtmpStatusLevel.Status, RtmpStatusCode.PublishStart, $"{granted.StreamName} is now published.");
                    await FlushAsync();
                    Log.Publishing(_logger, _connection.ConnectionId, granted.StreamName, granted.RoomId, identity.PublisherId);
                    return SessionAction.Continue;
                case StreamAuthorization.Refused:
                    return await RefusePublishAsync(RtmpStatusCode.PublishBadName, "Unknown or ended stream key.", "unknown or ended stream key");
                default:
                    return await RefusePublishAsync(RtmpStatusCode.PublishDenied, "Stream keys cannot be checked right now; try again.", ((StreamAuthorization.Unavailable)answer).Reason);
            }
        }
        finally
        {
            _outputLock.Release();
        }
    }

    private async Task<SessionAction> RefusePublishAsync(string code, string description, string reason)
    {
        Log.Refused(_logger, _connection.ConnectionId, $"publish refused: {reason}");
        WriteStatus(MediaStreamId, RtmpStatusLevel.Error, code, description);
        await FlushAsync();
        Close(reason);
        return SessionAction.Close;
    }

    private async Task<SessionAction> StartPlayingAsync()
    {
        var name = _pendingPlay!;
        _pendingPlay = null;
        string description;
        var code = RtmpStatusCode.PlayStreamNotFound;
        if (_registry.IsStreamKey(name))
        {
            description = "A stream key cannot be played; play the public stream name.";
            code = RtmpStatusCode.PlayFailed;
        }
        else if (!_registry.TryGet(name, out var stream))
        {
            description = $"No live stream named '{name}'.";
        }
        else
        {
            var player = new RtmpPlayer(this, MediaStreamId, _options.PlayerQueueCapacity);
            await _outputLock.WaitAsync(_closing.Token);
            try
            {
                // The answer is written before the player's writer loop exists, so it precedes the first media.
                RtmpUserControlEvent.StreamBegin(MediaStreamId).WriteTo(_writer, _output);
                WriteStatus(MediaStreamId, RtmpStatusLevel.Status, RtmpStatusCode.PlayReset, $"Playing and resetting {name}.");
                WriteStatus(MediaStreamId, RtmpStatusLevel.Status, RtmpStatusCode.PlayStart, $"Started playing {name}.");
                _command.ResetWrittenCount();
                RtmpCommandWriter.WriteSampleAccess(_command, audio: true, video: true);
                _writer.WriteMessage(_output, DataChunkStreamId, RtmpMessageType.DataAmf0, MediaStreamId, 0, _command.WrittenSpan);
            }
            finally
            {
                _outputLock.Release();
            }

            if (stream.TryAddSubscriber(player))
            {
                _playedStream = stream;
                _player = player;
                _state = SessionState.Playing;
                Log.Playing(_logger, _connection.ConnectionId, stream.Name);
                _playerWriter = RunPlayerAsync(player);
                return SessionAction.Continue;
            }

            description = $"The stream '{name}' has just ended.";
        }

        await _outputLock.WaitAsync(_closing.Token);
        try
        {
            Log.Refused(_logger, _connection.ConnectionId, $"play refused: {description}");
            WriteStatus(MediaStreamId, RtmpStatusLevel.Error, code, description);
            await FlushAsync();
        }
        finally
        {
            _outputLock.Release();
        }

        Close("play refused");
        return SessionAction.Close;
    }

    private async Task RunPlayerAsync(RtmpPlayer player)
    {
        try
        {
            await player.RunAsync(_closing.Token);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception exception) when (exception is ConnectionResetException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            Close("connection reset");
        }
    }

    private async ValueTask FlushAsync()
    {
        // Most flushes complete at once (the pipe is below its limit); only one that waits arms the write timer, so
        // the steady state costs no timer operations per flush.
        var flush = _output.FlushAsync(_writeTimeout.Token);
        FlushResult result;
        if (flush.IsCompleted)
        {
            result = flush.Result;
        }
        else
        {
            _writeTimeout.CancelAfter(_options.PlayerWriteTimeout);
            try
            {
                result = await flush;
            }
            catch (OperationCanceledException) when (!_closing.IsCancellationRequested)
            {
                Log.TimedOut(_logger, _connection.ConnectionId, "writing", _options.PlayerWriteTimeout.TotalSeconds);
                Close("write timeout");
                throw;
            }

            _writeTimeout.CancelAfter(Timeout.InfiniteTimeSpan);
        }

        if (result.IsCompleted)
        {
            Close("disconnected");
            throw new OperationCanceledException(_closing.Token);
        }
    }

    private void WriteStatus(uint messageStreamId, string level, string code, string description)
    {
        _command.ResetWrittenCount();
        RtmpCommandWriter.WriteOnStatus(_command, level, code, description);
        SendCommand(messageStreamId);
    }

    private void SendCommand(uint messageStreamId) =>
        _writer.WriteMessage(_output, CommandChunkStreamId, RtmpMessageType.CommandAmf0, messageStreamId, 0, _command.WrittenSpan);

    private void Close(string reason)
    {
        if (!_closing.IsCancellationRequested)
        {
            _closeReason = reason;
            try
            {
                _closing.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private async Task CleanUpAsync()
    {
        Close(_closeReason);
        if (_playerWriter is not null)
        {
            await _playerWriter;
        }

        if (_player is not null)
        {
            _playedStream!.RemoveSubscriber(_player);
        }

        // Frames read with the last bytes go to the stream before its end does.
        PostReceived();
        if (_published is not null)
        {
            _registry.EndPublish(_published, _closeReason);
        }

        _reader.Dispose();
        await _input.CompleteAsync();
        await _output.CompleteAsync();
        Log.Closed(_logger, _connection.ConnectionId, _closeReason, _reader.BytesReceived);
        _readTimeout.Dispose();
        _writeTimeout.Dispose();
        _closing.Dispose();
    }

    private static string WithoutQuery(string name)
    {
        var query = name.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? name : name[..query];
    }

    private static partial class Log
    {
        [LoggerMessage(6001, LogLevel.Debug, "RTMP connection {ConnectionId} from {RemoteEndPoint}")]
        public static partial void Connected(ILogger logger, string connectionId, string? remoteEndPoint);

        [LoggerMessage(6002, LogLevel.Warning, "RTMP connection {ConnectionId} broke the protocol ({Error}): {Detail}")]
        public static partial void ProtocolError(ILogger logger, string connectionId, RtmpProtocolError error, string detail);

        [LoggerMessage(6003, LogLevel.Warning, "RTMP connection {ConnectionId} refused: {Reason}")]
        public static partial void Refused(ILogger logger, string connectionId, string reason);

        [LoggerMessage(6004, LogLevel.Information, "RTMP connection {ConnectionId} publishes {StreamName} of room {RoomId} as {PublisherId}")]
        public static partial void Publishing(ILogger logger, string connectionId, string streamName, long roomId, string publisherId);

        [LoggerMessage(6005, LogLevel.Debug, "RTMP connection {ConnectionId} plays {StreamName}")]
        public static partial void Playing(ILogger logger, string connectionId, string streamName);

        [LoggerMessage(6006, LogLevel.Information, "RTMP connection {ConnectionId} timed out while {State} ({Seconds} s)")]
        public static partial void TimedOut(ILogger logger, string connectionId, string state, double seconds);

        [LoggerMessage(6007, LogLevel.Debug, "RTMP connection {ConnectionId} closed: {Reason} ({BytesReceived} bytes received)")]
        public static partial void Closed(ILogger logger, string connectionId, string reason, long bytesReceived);
    }
}
