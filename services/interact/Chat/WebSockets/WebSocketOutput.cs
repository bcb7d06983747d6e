using System.Net.Sockets;

namespace LiveMicro.Interact.Chat.WebSockets;

/// <summary>Where a server WebSocket's frames go. One send at a time: a caller starts the next send only after the
/// previous one completed.</summary>
public abstract class WebSocketOutput
{
    public abstract ValueTask SendAsync(ReadOnlyMemory<byte> frame);

    /// <summary>Ends the connection at once.</summary>
    public abstract void Abort();
}

/// <summary>Writes straight to the connection's socket, set non-blocking: a frame the kernel takes at once (nearly
/// always) costs one send call on the caller's thread, with no pipe, no buffer copy and no thread hop. Only the part
/// a full socket buffer leaves over is awaited.</summary>
public sealed class SocketOutput : WebSocketOutput
{
    private readonly Socket _socket;
    private readonly Action _abort;

    /// <param name="socket">A connected stream socket nothing else writes to.</param>
    /// <param name="abort">Ends the connection (its owner's abort, so the reading side ends too).</param>
    public SocketOutput(Socket socket, Action abort)
    {
        _socket = socket;
        _abort = abort;
        _socket.Blocking = false;
    }

    public override ValueTask SendAsync(ReadOnlyMemory<byte> frame)
    {
        var sent = _socket.Send(frame.Span, SocketFlags.None, out var error);
        if (error == SocketError.Success && sent == frame.Length) return ValueTask.CompletedTask;
        if (error is not (SocketError.Success or SocketError.WouldBlock))
            return ValueTask.FromException(new SocketException((int)error));
        return SendRestAsync(frame[Math.Max(sent, 0)..]);
    }

    public override void Abort() => _abort();

    private async ValueTask SendRestAsync(ReadOnlyMemory<byte> rest)
    {
        while (!rest.IsEmpty)
        {
            rest = rest[await _socket.SendAsync(rest, SocketFlags.None).ConfigureAwait(false)..];
        }
    }
}

/// <summary>Writes to a stream (an upgraded HTTP request's), flushing each frame.</summary>
public sealed class StreamOutput(Stream stream, Action abort) : WebSocketOutput
{
    public override async ValueTask SendAsync(ReadOnlyMemory<byte> frame)
    {
        await stream.WriteAsync(frame).ConfigureAwait(false);
        await stream.FlushAsync().ConfigureAwait(false);
    }

    public override void Abort() => abort();
}
