using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using System.Text.Unicode;

namespace LiveMicro.Interact.Chat.WebSockets;

public enum ReceivedKind
{
    /// <summary>A whole text or binary message.</summary>
    Message,
    Ping,
    Pong,
    /// <summary>The client's close frame.</summary>
    Close,
    /// <summary>The client broke the protocol or exceeded the message limit: close with <see cref="Received.Status"/>.</summary>
    Failed,
    /// <summary>The connection ended without a close frame.</summary>
    Ended,
}

/// <summary>What <see cref="ServerWebSocket.ReceiveAsync"/> read. <see cref="Payload"/> is valid until the next
/// receive.</summary>
public readonly record struct Received(ReceivedKind Kind, WebSocketMessageType MessageType, ReadOnlyMemory<byte> Payload,
    WebSocketCloseStatus? Status, string? Reason);

/// <summary>The server end of a WebSocket connection after the opening handshake: reads client frames from the
/// connection's input pipe and writes server frames to its output. Messages are assembled in a pooled buffer that
/// is taken only once a data frame is complete and given back at the next receive, so a connection waiting for its
/// next message holds no buffer. Sending is the caller's to serialise (one send at a time).</summary>
public sealed class ServerWebSocket(PipeReader input, WebSocketOutput output)
{
    private byte[]? _message;
    private int _messageLength;
    private WebSocketMessageType? _messageType;
    private int _closeSent;

    public bool CloseReceived { get; private set; }

    public bool CloseSent => Volatile.Read(ref _closeSent) != 0;

    public ValueTask SendAsync(ReadOnlyMemory<byte> frame) => output.SendAsync(frame);

    /// <summary>Sends the close frame; false if one was already sent.</summary>
    public bool TrySendClose(WebSocketCloseStatus status, string reason, out ValueTask sent)
    {
        sent = ValueTask.CompletedTask;
        if (Interlocked.Exchange(ref _closeSent, 1) != 0) return false;
        sent = output.SendAsync(WebSocketProtocol.CloseFrame(status, reason));
        return true;
    }

    public void Abort() => output.Abort();

    /// <summary>The next message, control frame, protocol failure or end of the connection. Payloads larger than
    /// <paramref name="maxMessageBytes"/> fail with 1009 before they are read.</summary>
    public async ValueTask<Received> ReceiveAsync(int maxMessageBytes, CancellationToken cancellationToken = default)
    {
        ReleaseMessage();
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
            {
                return new Received(ReceivedKind.Ended, default, default, null, null);
            }

            var buffer = result.Buffer;
            var received = Parse(ref buffer, maxMessageBytes);
            if (received is { } frame)
            {
                input.AdvanceTo(buffer.Start);
                return frame;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled) return new Received(ReceivedKind.Ended, default, default, null, null);
        }
    }

    /// <summary>Consumes whole frames from the front of <paramref name="buffer"/> until one yields something to return.</summary>
    private Received? Parse(ref ReadOnlySequence<byte> buffer, int maxMessageBytes)
    {
        while (true)
        {
            switch (WebSocketFrameReader.TryReadHeader(buffer, out var header, out var error))
            {
                case FrameHeaderStatus.NeedMoreData:
                    return null;
                case FrameHeaderStatus.Invalid:
                    return Failed(WebSocketCloseStatus.ProtocolError, error!);
            }

            if (header.IsControl)
            {
                if (buffer.Length < header.Length + header.PayloadLength) return null;
                var control = ReadControl(buffer, header);
                buffer = buffer.Slice(header.Length + header.PayloadLength);
                return control;
            }

            if ((header.Opcode == WebSocketOpcode.Continuation) != _messageType.HasValue)
            {
                return Failed(WebSocketCloseStatus.ProtocolError, _messageType.HasValue
                    ? "a new message started before the previous one ended"
                    : "a continuation frame without a message to continue");
            }

            if (_messageLength + header.PayloadLength > maxMessageBytes)
                return Failed(WebSocketCloseStatus.MessageTooBig, $"messages are limited to {maxMessageBytes} bytes");
            if (buffer.Length < header.Length + header.PayloadLength) return null;

            var length = (int)header.PayloadLength;
            if (length > 0)
            {
                _message ??= ArrayPool<byte>.Shared.Rent(maxMessageBytes);
                var target = _message.AsSpan(_messageLength, length);
                buffer.Slice(header.Length, length).CopyTo(target);
                WebSocketFrameReader.Unmask(target, header.Mask);
                _messageLength += length;
            }

            buffer = buffer.Slice(header.Length + length);
            _messageType ??= header.Opcode == WebSocketOpcode.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
            if (header.Fin)
            {
                var type = _messageType.Value;
                _messageType = null;
                return new Received(ReceivedKind.Message, type, _message.AsMemory(0, _messageLength), null, null);
            }
        }
    }

    private Received ReadControl(ReadOnlySequence<byte> buffer, ClientFrameHeader header)
    {
        Span<byte> payload = stackalloc byte[(int)header.PayloadLength];
        buffer.Slice(header.Length, header.PayloadLength).CopyTo(payload);
        WebSocketFrameReader.Unmask(payload, header.Mask);
        return header.Opcode switch
        {
            WebSocketOpcode.Ping => new Received(ReceivedKind.Ping, default, payload.ToArray(), null, null),
            WebSocketOpcode.Pong => new Received(ReceivedKind.Pong, default, default, null, null),
            _ => ReadClose(payload),
        };
    }

    private Received ReadClose(ReadOnlySpan<byte> payload)
    {
        CloseReceived = true;
        if (payload.Length == 0) return new Received(ReceivedKind.Close, default, default, WebSocketCloseStatus.Empty, null);
        if (payload.Length == 1) return Failed(WebSocketCloseStatus.ProtocolError, "a close payload needs a two-byte status code");
        if (!Utf8.IsValid(payload[2..])) return Failed(WebSocketCloseStatus.InvalidPayloadData, "the close reason is not UTF-8");
        return new Received(ReceivedKind.Close, default, default,
            (WebSocketCloseStatus)BinaryPrimitives.ReadUInt16BigEndian(payload), Encoding.UTF8.GetString(payload[2..]));
    }

    private static Received Failed(WebSocketCloseStatus status, string reason) =>
        new(ReceivedKind.Failed, default, default, status, reason);

    private void ReleaseMessage()
    {
        if (_messageType.HasValue) return; // a message in progress keeps its buffer
        _messageLength = 0;
        if (_message is { } message)
        {
            _message = null;
            ArrayPool<byte>.Shared.Return(message);
        }
    }
}
