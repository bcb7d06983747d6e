using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace LiveMicro.Gateway.Transport;

/// <summary>Kestrel's transport for TCP endpoints on Linux x86-64: connections accepted and run on the
/// <see cref="SocketLoop"/>s (see <see cref="LoopConnection"/>). Other endpoints go to Kestrel's socket
/// transport.</summary>
internal sealed class LoopConnectionListenerFactory(IMemoryPoolFactory<byte> pools) : IConnectionListenerFactory, IConnectionListenerFactorySelector
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
            return ValueTask.FromResult<IConnectionListener>(new LoopConnectionListener(listener, pools.Create()));
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

internal sealed class LoopConnectionListener(Socket listener, MemoryPool<byte> pool) : IConnectionListener
{
    private static long s_connections;

    private readonly LoopSocket _socket = LoopSocket.ForListener(listener);

    public EndPoint EndPoint { get; } = listener.LocalEndPoint!;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                var socket = await _socket.AcceptAsync(cancellationToken);
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
        }
    }

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
