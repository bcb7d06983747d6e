using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using LiveMicro.Media.Amf;
using LiveMicro.Media.Rtmp.Commands;

namespace LiveMicro.Media.Rtmp;

/// <summary>The server refused to let us publish (or to connect): its status code says why.</summary>
public sealed class RtmpPublishRefusedException(string? code)
    : IOException($"The RTMP server refused the publish: {code ?? "it closed the connection"}.")
{
    public string? Code { get; } = code;
}

/// <summary>
/// An RTMP client that publishes one stream, as an encoder does: handshake, connect to the application, createStream,
/// publish, then FLV tag bodies as audio, video and data messages. Used to hand media from another ingest (WebRTC) to
/// the RTMP server, which then authorizes and distributes it like any other publisher. Sends are serialised; the
/// server's messages are read in the background (acknowledged, otherwise ignored) and <see cref="Closed"/> fires when
/// it drops the connection.
/// </summary>
public sealed class RtmpPublisher : IAsyncDisposable
{
    private const uint StreamId = 1;
    private const int OutgoingChunkSize = 4096;
    private const int CommandChunkStream = 3;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly RtmpChunkReader _reader = new();
    private readonly RtmpChunkWriter _writer = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly CancellationTokenSource _closed = new();
    private Task _reading = Task.CompletedTask;

    private RtmpPublisher(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream);
        _output = PipeWriter.Create(_stream);
    }

    /// <summary>Cancelled when the server closed the connection or the publisher was disposed.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Connects to <c>rtmp://host[:port]/app/streamName</c> and starts publishing, or throws
    /// <see cref="RtmpPublishRefusedException"/> (or a socket error).</summary>
    public static async Task<RtmpPublisher> PublishAsync(Uri url, CancellationToken cancellationToken)
    {
        var segments = url.AbsolutePath.Trim('/').Split('/', 2);
        if (url.Scheme != "rtmp" || segments.Length != 2 || segments[1].Length == 0)
        {
            throw new ArgumentException("An RTMP publish URL is rtmp://host[:port]/app/stream.", nameof(url));
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(url.Host, url.Port > 0 ? url.Port : 1935, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        // a stream needs a connected socket
        var publisher = new RtmpPublisher(socket);
        try
        {
            await publisher.HandshakeAsync(cancellationToken);
            await publisher.StartAsync(url, segments[0], segments[1], cancellationToken);
            publisher._reading = publisher.ReadUntilClosedAsync();
            return publisher;
        }
        catch
        {
            await publisher.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends one FLV tag body (the tag header left off) as an RTMP message of <paramref name="type"/>.</summary>
    public async ValueTask SendAsync(RtmpMessageType type, uint timestamp, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var chunkStream = type switch { RtmpMessageType.Audio => 4, RtmpMessageType.Video => 6, _ => 5 };
        await _sending.WaitAsync(cancellationToken);
        try
        {
            _writer.WriteMessage(_output, chunkStream, type, StreamId, timestamp, body.Span);
            await _output.FlushAsync(cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closed.CancelAsync();
        _socket.Dispose();
        await _reading;
        _reader.Dispose();
        await _stream.DisposeAsync();
        _sending.Dispose();
    }

    private async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        var handshake = new RtmpClientHandshake();
        handshake.WriteC0C1(_output);
        await _output.FlushAsync(cancellationToken);
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken);
            var reader = new SequenceReader<byte>(result.Buffer);
            var done = handshake.TryAdvance(ref reader, _output);
            _input.AdvanceTo(reader.Position, result.Buffer.End);
            if (done)
            {
                await _output.FlushAsync(cancellationToken);
                return;
            }

            if (result.IsCompleted) throw new RtmpPublishRefusedException(null);
        }
    }

    private async Task StartAsync(Uri url, string app, string streamName, CancellationToken cancellationToken)
    {
        _writer.WriteSetChunkSize(_output, OutgoingChunkSize);
        var command = new ArrayBufferWriter<byte>();
        Amf0Writer.WriteString(command, RtmpCommandName.Connect);
        Amf0Writer.WriteNumber(command, 1);
        Amf0Writer.WriteObjectStart(command);
        Amf0Writer.WriteProperty(command, "app", app);
        Amf0Writer.WriteProperty(command, "type", "nonprivate");
        Amf0Writer.WriteProperty(command, "tcUrl", $"rtmp://{url.Authority}/{app}");
        Amf0Writer.WriteObjectEnd(command);
        await SendCommandAsync(command, 0, cancellationToken);
        await ExpectAsync(code => code.StartsWith("NetConnection.Connect.", StringComparison.Ordinal), "NetConnection.Connect.Success", cancellationToken);

        command.ResetWrittenCount();
        Amf0Writer.WriteString(command, RtmpCommandName.CreateStream);
        Amf0Writer.WriteNumber(command, 2);
        Amf0Writer.WriteNull(command);
        await SendCommandAsync(command, 0, cancellationToken);

        command.ResetWrittenCount();
        Amf0Writer.WriteString(command, RtmpCommandName.Publish);
        Amf0Writer.WriteNumber(command, 0);
        Amf0Writer.WriteNull(command);
        Amf0Writer.WriteString(command, streamName);
        Amf0Writer.WriteString(command, "live");
        await SendCommandAsync(command, StreamId, cancellationToken);
        await ExpectAsync(code => code.StartsWith("NetStream.Publish.", StringComparison.Ordinal), RtmpStatusCode.PublishStart, cancellationToken);
    }

    private async Task SendCommandAsync(ArrayBufferWriter<byte> command, uint messageStreamId, CancellationToken cancellationToken)
    {
        _writer.WriteMessage(_output, CommandChunkStream, RtmpMessageType.CommandAmf0, messageStreamId, 0, command.WrittenSpan);
        await _output.FlushAsync(cancellationToken);
    }

    /// <summary>Reads until a status whose code <paramref name="answers"/>; throws unless it is <paramref name="success"/>.</summary>
    private async Task ExpectAsync(Func<string, bool> answers, string success, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken);
            var reader = new SequenceReader<byte>(result.Buffer);
            string? code = null;
            while (code is null && _reader.TryReadMessage(ref reader, out var message))
            {
                using (message)
                {
                    if (message.Header.Type == RtmpMessageType.CommandAmf0 &&
                        RtmpCommandDecoder.Decode(message.Header.Type, message.Payload) is UnknownCommand decoded)
                    {
                        code = decoded.Arguments.Select(a => a.TryGetObject(out var info) ? info.GetString("code") : null)
                            .FirstOrDefault(c => c is not null && answers(c));
                    }
                }
            }

            _input.AdvanceTo(reader.Position, result.Buffer.End);
            if (code is not null)
            {
                if (code != success) throw new RtmpPublishRefusedException(code);
                return;
            }

            if (result.IsCompleted) throw new RtmpPublishRefusedException(null);
        }
    }

    private async Task ReadUntilClosedAsync()
    {
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(_closed.Token);
                var reader = new SequenceReader<byte>(result.Buffer);
                while (_reader.TryReadMessage(ref reader, out var message)) message.Dispose();
                _input.AdvanceTo(reader.Position, result.Buffer.End);
                if (_reader.TryTakeAcknowledgement(out var sequence))
                {
                    await _sending.WaitAsync(_closed.Token);
                    try
                    {
                        _writer.WriteAcknowledgement(_output, sequence);
                        await _output.FlushAsync(_closed.Token);
                    }
                    finally
                    {
                        _sending.Release();
                    }
                }

                if (result.IsCompleted) break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or RtmpProtocolException or ObjectDisposedException)
        {
            // gone either way
        }

        await _closed.CancelAsync();
    }
}
