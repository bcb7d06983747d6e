using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace LiveMicro.Gateway.Transport;

/// <summary>An accepted connection as Kestrel takes it: bytes received go into the input pipe, bytes written to the
/// output pipe are sent, both on the socket's loop thread where the socket is ready (pipe continuations run inline,
/// as with Kestrel's <c>UnsafePreferInlineScheduling</c>). It ends as Kestrel's socket connection does: the end of
/// the client's stream completes the input and fires <see cref="ConnectionClosed"/>, the output's completion shuts
/// the socket.</summary>
internal sealed class LoopConnection : ConnectionContext
{
    private const int MinimumReadSize = 4096;

    private readonly LoopSocket _socket;
    private readonly IDuplexPipe _application;
    private readonly CancellationTokenSource _closed = new();
    private readonly Task _running;
    private volatile bool _aborted;
    private Exception? _shutdownReason;

    public LoopConnection(LoopSocket socket, MemoryPool<byte> pool, long id)
    {
        _socket = socket;
        // Kestrel's socket transport limits: input paused past 1 MB unread, output past 64 KB unsent
        var input = new Pipe(new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, 1024 * 1024, 512 * 1024, useSynchronizationContext: false));
        var output = new Pipe(new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, 64 * 1024, 32 * 1024, useSynchronizationContext: false));
        Transport = new DuplexPipe(input.Reader, output.Writer);
        _application = new DuplexPipe(output.Reader, input.Writer);
        ConnectionId = $"L{id:X11}";
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        Features.Set<IConnectionIdFeature>(new ConnectionIdFeature(this));
        Features.Set<IMemoryPoolFeature>(new MemoryPoolFeature(pool));
        _running = RunAsync();
    }

    public override IDuplexPipe Transport { get; set; }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override CancellationToken ConnectionClosed
    {
        get => _closed.Token;
        set => throw new NotSupportedException();
    }

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        _shutdownReason ??= abortReason;
        _aborted = true;
        _socket.Shutdown();
        // a send waiting on a full socket ends with the shutdown; a wait for more output ends here
        _application.Input.CancelPendingRead();
    }

    public override async ValueTask DisposeAsync()
    {
        Transport.Input.Complete();
        Transport.Output.Complete();
        // the token source stays undisposed: its cancellation may still be queued (it holds no timer)
        await _running;
    }

    private async Task RunAsync()
    {
        // the sends start at once; the receives from the first, so a client's first bytes are read right away
        var sending = SendAsync();
        await ReceiveAsync();
        // as in Kestrel's socket transport, the connection counts as closed once the client's side has ended (its
        // FIN, a reset or an abort): a request still waiting on a destination is given up
        // off the loop: Kestrel's closing work (and the application's callbacks) may block
        ThreadPool.UnsafeQueueUserWorkItem(static closed => closed.Cancel(), _closed, preferLocal: false);
        await sending;
        _socket.Dispose();
    }

    private async Task ReceiveAsync()
    {
        var input = _application.Output;
        Exception? error = null;
        try
        {
            while (true)
            {
                // the buffer is taken only once there is something to read: an idle keep-alive connection or
                // WebSocket holds none (4 KiB each otherwise); with readiness tracked this costs no system call
                await _socket.WaitReadableAsync();
                var received = await _socket.ReceiveAsync(input.GetMemory(MinimumReadSize));
                if (received == 0) break;
                input.Advance(received);
                var flushed = await input.FlushAsync();
                if (flushed.IsCompleted || flushed.IsCanceled) break;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset)
        {
            error = new ConnectionResetException(e.Message, e);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            error = _aborted ? _shutdownReason ?? new ConnectionAbortedException() : new IOException(e.Message, e);
        }
        finally
        {
            if (_aborted && error is null) error = _shutdownReason ?? new ConnectionAbortedException();
            await input.CompleteAsync(error);
        }
    }

    private async Task SendAsync()
    {
        var output = _application.Input;
        Exception? error = null;
        try
        {
            while (true)
            {
                var read = await output.ReadAsync();
                if (read.IsCanceled) break;
                var buffer = read.Buffer;
                await _socket.SendAsync(buffer);
                output.AdvanceTo(buffer.End);
                if (read.IsCompleted) break;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            error = e;
        }
        finally
        {
            await output.CompleteAsync(error);
            // what the application wrote is sent; the client's side of the stream ends as well
            _socket.Shutdown();
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    private sealed class MemoryPoolFeature(MemoryPool<byte> pool) : IMemoryPoolFeature
    {
        public MemoryPool<byte> MemoryPool { get; } = pool;
    }

    private sealed class ConnectionIdFeature(LoopConnection connection) : IConnectionIdFeature
    {
        public string ConnectionId
        {
            get => connection.ConnectionId;
            set => connection.ConnectionId = value;
        }
    }
}
