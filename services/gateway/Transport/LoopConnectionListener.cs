using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace LiveMicro.Gateway.Transport;

/// <summary>Kestrel's transport for TCP endpoints on Linux x86-64: connections accepted and run on the
/// <see cref="SocketLoop"/>s (see <see cref="LoopConnection"/>). Other endpoints go to Kestrel's socket
/// transport.</summary>
internal sealed class LoopConnectionListenerFactory(IMemoryPoolFactory<byte> pools, ILogger<LoopConnectionListener> logger)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var ip = (IPEndPoint)endpoint;
        var listener = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (ip.Address.Equals(IPAddress.IPv6Any)) listener.DualMode = true;
            listener.Bind(ip);
            listener.Listen(512);
            return ValueTask.FromResult<IConnectionListener>(new LoopConnectionListener(listener, pools.Create(), logger));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            listener.Dispose();
            throw new AddressInUseException(e.Message, e);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }
}

/// <summary>Accepts until unbound. Out of descriptors (or kernel memory) it pauses accepting, as nginx does, instead of
/// giving up for good: the connections waiting in the backlog are taken once others have closed. (The
/// <see cref="Connections.ConnectionBudget"/> keeps client connections from getting there.)</summary>
internal sealed partial class LoopConnectionListener(Socket listener, MemoryPool<byte> pool, ILogger<LoopConnectionListener> logger)
    : IConnectionListener
{
    private static readonly TimeSpan AcceptPause = TimeSpan.FromMilliseconds(100);
    private static long s_connections;

    private readonly LoopSocket _socket = LoopSocket.ForListener(listener);
    private bool _paused;

    public EndPoint EndPoint { get; } = listener.LocalEndPoint!;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                var socket = await _socket.AcceptAsync(cancellationToken);
                if (_paused)
                {
                    _paused = false;
                    LogAcceptingAgain(EndPoint);
                }

                return new LoopConnection(socket, pool, Interlocked.Increment(ref s_connections));
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                // gone before it was accepted
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                if (!_paused)
                {
                    _paused = true;
                    LogAcceptPaused(EndPoint, e.SocketErrorCode);
                }

                try
                {
                    await Task.Delay(AcceptPause, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
            }
        }
    }

    [LoggerMessage(LogLevel.Error, "Accepting on {EndPoint} paused ({Error}): new connections wait in the backlog until some close")]
    private partial void LogAcceptPaused(EndPoint endPoint, SocketError error);

    [LoggerMessage(LogLevel.Information, "Accepting on {EndPoint} again")]
    private partial void LogAcceptingAgain(EndPoint endPoint);

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        listener.Dispose();
        pool.Dispose();
        return ValueTask.CompletedTask;
    }
}
