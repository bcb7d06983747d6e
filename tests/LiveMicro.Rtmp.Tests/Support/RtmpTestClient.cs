using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using LiveMicro.Media.Amf;
using LiveMicro.Media.Rtmp;
using LiveMicro.Media.Rtmp.Commands;

namespace LiveMicro.Rtmp.Tests.Support;

/// <summary>A message the client received, copied out of the pooled buffer.</summary>
public sealed record ReceivedMessage(RtmpMessageType Type, uint Timestamp, uint MessageStreamId, byte[] Payload, DateTime ReceivedAt)
{
    /// <summary>For onStatus/_result/_error: the info object's code.</summary>
    public string? StatusCode
    {
        get
        {
            if (Type != RtmpMessageType.CommandAmf0)
            {
                return null;
            }

            return RtmpCommandDecoder.Decode(Type, Payload) is UnknownCommand command
                ? command.Arguments.Select(a => a.TryGetObject(out var info) ? info.GetString("code") : null).FirstOrDefault(c => c is not null)
                : null;
        }
    }

    public string? CommandName => Type == RtmpMessageType.CommandAmf0 ? RtmpCommandDecoder.Decode(Type, Payload).Name : null;
}

/// <summary>
/// A small RTMP client on the library's chunk reader and writer, independent of the server's session code: publishes
/// hand-made media (e.g. Enhanced RTMP HEVC, which Debian's ffmpeg 5.1 cannot send) and plays with full visibility of
/// every message, which ffprobe hides.
/// </summary>
public sealed class RtmpTestClient : IAsyncDisposable
{
    private const uint StreamId = 1;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly RtmpChunkReader _reader = new();
    private readonly RtmpChunkWriter _writer = new();
    private readonly ArrayBufferWriter<byte> _command = new();
    private readonly Queue<ReceivedMessage> _received = new();

    private RtmpTestClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream);
        _output = PipeWriter.Create(_stream);
    }

    /// <summary>TCP connect, handshake and NetConnection connect to the "live" application.</summary>
    /// <param name="receiveBufferSize">SO_RCVBUF before connecting; small, so a client that stops reading stalls the server soon.</param>
    public static async Task<RtmpTestClient> ConnectAsync(int port, string app = "live", int? receiveBufferSize = null)
    {
        var client = await OpenAsync(port, receiveBufferSize);
        await client.HandshakeAsync();
        client._command.ResetWrittenCount();
        Amf0Writer.WriteString(client._command, RtmpCommandName.Connect);
        Amf0Writer.WriteNumber(client._command, 1);
        Amf0Writer.WriteObjectStart(client._command);
        Amf0Writer.WriteProperty(client._command, "app", app);
        Amf0Writer.WriteProperty(client._command, "tcUrl", $"rtmp://127.0.0.1:{port}/{app}");
        Amf0Writer.WriteProperty(client._command, "flashVer", "LNX 9,0,124,2");
        Amf0Writer.WriteProperty(client._command, "objectEncoding", 0);
        Amf0Writer.WriteObjectEnd(client._command);
        await client.SendCommandAsync(0);
        client.ConnectResult = await client.NextStatusAsync(code => code.StartsWith("NetConnection", StringComparison.Ordinal));
        return client;
    }

    /// <summary>The code the server answered connect with.</summary>
    public string? ConnectResult { get; private set; }

    /// <summary>Only the TCP connection: for tests that send their own bytes.</summary>
    public static async Task<RtmpTestClient> OpenAsync(int port, int? receiveBufferSize = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size)
        {
            socket.ReceiveBufferSize = size;
        }

        await socket.ConnectAsync(IPAddress.Loopback, port);
        return new RtmpTestClient(socket);
    }

    public async Task HandshakeAsync()
    {
        var handshake = new RtmpClientHandshake();
        handshake.WriteC0C1(_output);
        await _output.FlushAsync();
        while (true)
        {
            var result = await _input.ReadAsync();
            var reader = new SequenceReader<byte>(result.Buffer);
            var done = handshake.TryAdvance(ref reader, _output);
            _input.AdvanceTo(reader.Position, result.Buffer.End);
            if (done)
            {
                await _output.FlushAsync();
                return;
            }

            if (result.IsCompleted)
            {
                throw new IOException("The server closed the connection during the handshake.");
            }
        }
    }

    /// <summary>createStream + publish; returns the code of the server's answer (NetStream.Publish.Start or an error).</summary>
    public async Task<string?> PublishAsync(string streamKey)
    {
        await CreateStreamAsync();
        _command.ResetWrittenCount();
        Amf0Writer.WriteString(_command, RtmpCommandName.Publish);
        Amf0Writer.WriteNumber(_command, 0);
        Amf0Writer.WriteNull(_command);
        Amf0Writer.WriteString(_command, streamKey);
        Amf0Writer.WriteString(_command, "live");
        await SendCommandAsync(StreamId);
        return await NextStatusAsync(code => code.StartsWith("NetStream.Publish", StringComparison.Ordinal));
    }

    /// <summary>createStream + play; returns the code of the first answer that is not Play.Reset.</summary>
    public async Task<string?> PlayAsync(string streamName)
    {
        await CreateStreamAsync();
        _command.ResetWrittenCount();
        Amf0Writer.WriteString(_command, RtmpCommandName.Play);
        Amf0Writer.WriteNumber(_command, 0);
        Amf0Writer.WriteNull(_command);
        Amf0Writer.WriteString(_command, streamName);
        Amf0Writer.WriteNumber(_command, -2);
        await SendCommandAsync(StreamId);
        return await NextStatusAsync(code => code != RtmpStatusCode.PlayReset);
    }

    public async Task SendMediaAsync(RtmpMessageType type, uint timestamp, ReadOnlyMemory<byte> payload)
    {
        var chunkStreamId = type == RtmpMessageType.Audio ? 4 : type == RtmpMessageType.Video ? 6 : 5;
        _writer.WriteMessage(_output, chunkStreamId, type, StreamId, timestamp, payload.Span);
        await _output.FlushAsync();
    }

    /// <summary>Raw bytes, for malformed input.</summary>
    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        await _output.WriteAsync(bytes);
    }

    public void WriteMessage(int chunkStreamId, RtmpMessageType type, uint messageStreamId, ReadOnlySpan<byte> payload) =>
        _writer.WriteMessage(_output, chunkStreamId, type, messageStreamId, 0, payload);

    public async Task FlushAsync() => await _output.FlushAsync();

    /// <summary>The next message, or null when the server closed the connection; throws on timeout.</summary>
    public async Task<ReceivedMessage?> ReceiveAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (_received.Count == 0)
        {
            ReadResult result;
            try
            {
                result = await _input.ReadAsync(cancel.Token);
            }
            catch (IOException)
            {
                return null;
            }

            _input.AdvanceTo(ReadMessages(result.Buffer), result.Buffer.End);
            if (_reader.TryTakeAcknowledgement(out var sequence))
            {
                _writer.WriteAcknowledgement(_output, sequence);
                await _output.FlushAsync();
            }

            if (_received.Count == 0 && result.IsCompleted)
            {
                return null;
            }
        }

        return _received.Dequeue();
    }

    /// <summary>Reads until the server closes the connection (true) or the timeout passes (false).</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                if (await ReceiveAsync(deadline - DateTime.UtcNow) is null)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (RtmpProtocolException)
        {
            return true;
        }

        return false;
    }

    /// <summary>Closes the socket abruptly (no deleteStream), as a crashed encoder would.</summary>
    public void Abort() => _socket.Close(0);

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync();
    }

    private SequencePosition ReadMessages(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (_reader.TryReadMessage(ref reader, out var message))
        {
            using (message)
            {
                _received.Enqueue(new ReceivedMessage(message.Header.Type, message.Header.Timestamp, message.Header.MessageStreamId, message.Payload.ToArray(), DateTime.UtcNow));
            }
        }

        return reader.Position;
    }

    private async Task CreateStreamAsync()
    {
        _command.ResetWrittenCount();
        Amf0Writer.WriteString(_command, RtmpCommandName.CreateStream);
        Amf0Writer.WriteNumber(_command, 2);
        Amf0Writer.WriteNull(_command);
        await SendCommandAsync(0);
    }

    private async Task<string?> NextStatusAsync(Func<string, bool> wanted)
    {
        while (await ReceiveAsync(TimeSpan.FromSeconds(10)) is { } message)
        {
            if (message.StatusCode is { } code && wanted(code))
            {
                return code;
            }
        }

        return null;
    }

    private async Task SendCommandAsync(uint messageStreamId)
    {
        _writer.WriteMessage(_output, 3, RtmpMessageType.CommandAmf0, messageStreamId, 0, _command.WrittenSpan);
        await _output.FlushAsync();
    }
}
