using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace LiveMicro.Gateway.Transport;

/// <summary>A non-blocking TCP socket run by a <see cref="SocketLoop"/>: receives, sends, accepts and connects that
/// can finish at once do, on the caller's thread; the others wait for the kernel's readiness event and finish on the
/// loop's thread, their continuations run there too. One receive (or accept) and one send may be under way at a time.
/// Failures are <see cref="SocketException"/>s, a disposed socket's <see cref="ObjectDisposedException"/>.</summary>
internal sealed class LoopSocket : IDisposable
{
    private const int MaxGatheredSegments = 64;

    private readonly object _gate = new();
    private readonly SocketLoop _loop;
    private readonly long _id;
    private readonly int _descriptor;
    private readonly bool _ownsDescriptor;
    private readonly Operation _reader;
    private readonly Operation _writer;
    private MemoryHandle[]? _pins;
    private bool _readReady = true;
    private bool _writeReady = true;
    private bool _disposed;
    private bool _sendDeferred;

    private LoopSocket(int descriptor, SocketLoop loop, bool ownsDescriptor = true)
    {
        _descriptor = descriptor;
        _ownsDescriptor = ownsDescriptor;
        _loop = loop;
        _reader = new Operation(this);
        _writer = new Operation(this);
        _id = loop.Register(this, descriptor);
    }

    /// <summary>The loop that runs this socket.</summary>
    public SocketLoop Loop => _loop;

    public EndPoint? LocalEndPoint { get; private set; }

    public EndPoint? RemoteEndPoint { get; private set; }

    /// <summary>Accepts on a listening socket bound by .NET (which never used it asynchronously); the socket stays
    /// the listener's to close.</summary>
    public static LoopSocket ForListener(Socket listener)
    {
        listener.Blocking = false;
        return new LoopSocket((int)listener.SafeHandle.DangerousGetHandle(), SocketLoop.Pick(), ownsDescriptor: false)
        {
            LocalEndPoint = listener.LocalEndPoint,
        };
    }

    /// <summary>Connects to the first address of <paramref name="endPoint"/> that takes the connection.</summary>
    public static async ValueTask<LoopSocket> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        int port;
        switch (endPoint)
        {
            case IPEndPoint ip:
                addresses = [ip.Address];
                port = ip.Port;
                break;
            case DnsEndPoint dns:
                addresses = await Dns.GetHostAddressesAsync(dns.Host, cancellationToken);
                port = dns.Port;
                break;
            default:
                throw new ArgumentException($"Cannot connect to {endPoint}.", nameof(endPoint));
        }

        SocketException? failure = null;
        foreach (var address in addresses)
        {
            var remote = new IPEndPoint(address, port);
            var socket = Open(remote);
            try
            {
                await socket.ConnectAsync(remote.Serialize(), cancellationToken);
                socket.RemoteEndPoint = remote;
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                failure = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw failure ?? new SocketException((int)SocketError.HostNotFound);
    }

    private static LoopSocket Open(IPEndPoint remote)
    {
        var family = remote.AddressFamily == AddressFamily.InterNetworkV6 ? 10 : 2;
        var descriptor = Libc.Socket(family, 1 /* SOCK_STREAM */ | Libc.SockNonBlock | Libc.SockCloexec, 0);
        if (descriptor < 0) throw new SocketException((int)Libc.ToSocketError(Marshal.GetLastPInvokeError()));
        Libc.SetNoDelay(descriptor);
        try
        {
            return new LoopSocket(descriptor, SocketLoop.Pick());
        }
        catch
        {
            Libc.Close(descriptor);
            throw;
        }
    }

    private unsafe ValueTask<int> ConnectAsync(SocketAddress address, CancellationToken cancellationToken)
    {
        // under the gate: the event that tells the connect finished must find it waiting
        lock (_gate)
        {
            int result;
            fixed (byte* bytes = address.Buffer.Span) result = Libc.Connect(_descriptor, bytes, address.Size);
            if (result == 0) return ValueTask.FromResult(0);
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EInProgress) return ValueTask.FromException<int>(new SocketException((int)Libc.ToSocketError(errno)));
            return Start(_writer, OperationKind.Connect, default, cancellationToken);
        }
    }

    /// <summary>Receives what has arrived, at most <paramref name="buffer"/>'s length; 0 at the end of the stream.</summary>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_disposed) return ValueTask.FromException<int>(new ObjectDisposedException(nameof(LoopSocket)));
            if (_readReady)
            {
                var outcome = TryReceive(buffer.Span, out var received);
                if (outcome != 0) return outcome > 0 ? ValueTask.FromResult(received) : ValueTask.FromException<int>(new SocketException(received));
            }

            return Start(_reader, OperationKind.Receive, buffer, cancellationToken);
        }
    }

    /// <summary>Completes (with 0) once the socket has something to read or has ended, at once when the last read
    /// did not empty it: a connection waits here without a buffer, so an idle one holds none.</summary>
    public ValueTask<int> WaitReadableAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_disposed) return ValueTask.FromException<int>(new ObjectDisposedException(nameof(LoopSocket)));
            return _readReady ? ValueTask.FromResult(0) : Start(_reader, OperationKind.Readable, default, cancellationToken);
        }
    }

    /// <summary>Sends all of <paramref name="bytes"/>.</summary>
    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_disposed) return ValueTask.FromException<int>(new ObjectDisposedException(nameof(LoopSocket)));
            var sent = 0;
            if (_writeReady && _loop.IsDispatching && !_writer.IsPending)
            {
                _sendDeferred = true;
                _loop.Defer(this);
                return Start(_writer, OperationKind.Send, MemoryMarshal.AsMemory(bytes), cancellationToken);
            }

            if (_writeReady)
            {
                var outcome = TrySend(bytes.Span, ref sent);
                if (outcome != 0) return outcome > 0 ? ValueTask.FromResult(bytes.Length) : ValueTask.FromException<int>(new SocketException(sent));
            }

            return Start(_writer, OperationKind.Send, MemoryMarshal.AsMemory(bytes), cancellationToken, sent);
        }
    }

    /// <summary>Sends all of <paramref name="bytes"/>, its segments gathered into as few calls as they fit.</summary>
    public ValueTask<int> SendAsync(ReadOnlySequence<byte> bytes, CancellationToken cancellationToken = default) =>
        // the common case, a response in one segment, without a state machine
        bytes.IsSingleSegment ? SendAsync(bytes.First, cancellationToken) : SendSegmentsAsync(bytes, cancellationToken);

    private async ValueTask<int> SendSegmentsAsync(ReadOnlySequence<byte> bytes, CancellationToken cancellationToken)
    {
        var length = (int)bytes.Length;
        while (!bytes.IsEmpty)
        {
            if (bytes.IsSingleSegment)
            {
                await SendAsync(bytes.First, cancellationToken);
                break;
            }

            var sent = SendGathered(bytes);
            bytes = bytes.Slice(sent);
            // the socket filled up: the rest of the first segment waits for room, then gathering goes on
            if (sent == 0 && !bytes.IsEmpty)
            {
                var first = bytes.First;
                await SendAsync(first, cancellationToken);
                bytes = bytes.Slice(first.Length);
            }
        }

        return length;
    }

    /// <summary>One writev of up to <see cref="MaxGatheredSegments"/> segments, when the socket has room; what it
    /// took (0 when none).</summary>
    private unsafe int SendGathered(in ReadOnlySequence<byte> bytes)
    {
        var vectors = stackalloc Libc.IoVector[MaxGatheredSegments];
        // one send at a time, so the pins' array is the socket's
        var pins = _pins ??= new MemoryHandle[MaxGatheredSegments];
        var count = 0;
        try
        {
            foreach (var segment in bytes)
            {
                if (segment.IsEmpty) continue;
                pins[count] = segment.Pin();
                vectors[count] = new Libc.IoVector { Base = (byte*)pins[count].Pointer, Length = segment.Length };
                if (++count == MaxGatheredSegments) break;
            }

            lock (_gate)
            {
                if (_disposed) throw new ObjectDisposedException(nameof(LoopSocket));
                if (!_writeReady) return 0;
                while (true)
                {
                    var result = Libc.WriteVector(_descriptor, vectors, count);
                    if (result >= 0) return (int)result;
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Libc.EIntr) continue;
                    if (errno != Libc.EAgain) throw new SocketException((int)Libc.ToSocketError(errno));
                    _writeReady = false;
                    return 0;
                }
            }
        }
        finally
        {
            for (var i = 0; i < count; i++) pins[i].Dispose();
        }
    }

    /// <summary>The next connection waiting on this listening socket.</summary>
    public async ValueTask<LoopSocket> AcceptAsync(CancellationToken cancellationToken = default)
    {
        ValueTask<int> accepted;
        lock (_gate)
        {
            if (_disposed) throw new ObjectDisposedException(nameof(LoopSocket));
            var descriptor = 0;
            var outcome = _readReady ? TryAccept(out descriptor) : 0;
            accepted = outcome switch
            {
                > 0 => ValueTask.FromResult(descriptor),
                < 0 => ValueTask.FromException<int>(new SocketException(descriptor)),
                _ => Start(_reader, OperationKind.Accept, default, cancellationToken),
            };
        }

        var connection = await accepted;
        try
        {
            // not the listener's loop, whose thread this usually is: the connections share the cores
            var socket = new LoopSocket(connection, SocketLoop.Next());
            Libc.SetNoDelay(connection);
            socket.LocalEndPoint = EndPointOf(connection, local: true);
            socket.RemoteEndPoint = EndPointOf(connection, local: false);
            return socket;
        }
        catch
        {
            Libc.Close(connection);
            throw;
        }
    }

    /// <summary>Shuts the connection down (both ways, or sending only) from any thread: a waiting receive ends.</summary>
    public void Shutdown(bool sendingOnly = false)
    {
        lock (_gate)
        {
            if (!_disposed) Libc.Shutdown(_descriptor, sendingOnly ? Libc.ShutWrite : Libc.ShutBoth);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _loop.Unregister(_id, _ownsDescriptor ? -1 : _descriptor);
            if (_ownsDescriptor) Libc.Close(_descriptor);
        }

        _reader.Fail(new ObjectDisposedException(nameof(LoopSocket)));
        _writer.Fail(new ObjectDisposedException(nameof(LoopSocket)));
    }

    /// <summary>Called on the loop's thread after a batch of events: the send deferred to it.</summary>
    public void SendDeferred()
    {
        Operation? done = null;
        lock (_gate)
        {
            if (!_sendDeferred) return;
            _sendDeferred = false;
            if (_disposed || !_writer.IsPending || !_writeReady) return;
            if (TryContinue(_writer)) done = _writer;
        }

        done?.Complete();
    }

    /// <summary>Called on the loop's thread with what the kernel reported.</summary>
    public void OnEvents(uint events)
    {
        Operation? readDone = null, writeDone = null;
        lock (_gate)
        {
            if (_disposed) return;
            if ((events & (Libc.EpollIn | Libc.EpollRdHup | Libc.EpollErr | Libc.EpollHup)) != 0)
            {
                _readReady = true;
                if (_reader.IsPending && TryContinue(_reader)) readDone = _reader;
            }

            if ((events & (Libc.EpollOut | Libc.EpollErr | Libc.EpollHup)) != 0)
            {
                _writeReady = true;
                if (_writer.IsPending && TryContinue(_writer)) writeDone = _writer;
            }
        }

        readDone?.Complete();
        writeDone?.Complete();
    }

    private ValueTask<int> Start(Operation operation, OperationKind kind, Memory<byte> buffer, CancellationToken cancellationToken, int done = 0)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        return operation.Start(kind, buffer, done, cancellationToken);
    }

    /// <summary>Tries the waiting operation again (under the gate); true when it finished, its outcome recorded.</summary>
    private bool TryContinue(Operation operation)
    {
        int outcome, value;
        switch (operation.Kind)
        {
            case OperationKind.Receive:
                outcome = TryReceive(operation.Buffer.Span, out value);
                break;
            case OperationKind.Readable:
                outcome = 1;
                value = 0;
                break;
            case OperationKind.Accept:
                outcome = TryAccept(out value);
                break;
            case OperationKind.Send:
                value = operation.Done;
                outcome = TrySend(operation.Buffer.Span, ref value);
                operation.Done = value;
                if (outcome > 0) value = operation.Buffer.Length;
                break;
            default:
                value = Libc.PendingError(_descriptor);
                // no error yet and no peer yet: an event from before the connect began, which is still under way
                if (value == 0 && !Libc.IsConnected(_descriptor)) return false;
                outcome = value == 0 ? 1 : -1;
                if (value != 0) value = (int)Libc.ToSocketError(value);
                break;
        }

        if (outcome == 0) return false;
        operation.Finish(outcome > 0 ? value : 0, outcome < 0 ? new SocketException(value) : null);
        return true;
    }

    /// <summary>1 with the count received, 0 when nothing has arrived (readiness cleared), -1 with the socket error.
    /// A read that came back short emptied the socket: the next waits for the kernel's event instead of trying.</summary>
    private unsafe int TryReceive(Span<byte> buffer, out int received)
    {
        while (true)
        {
            nint result;
            fixed (byte* bytes = buffer) result = Libc.Receive(_descriptor, bytes, buffer.Length, 0);
            if (result >= 0)
            {
                received = (int)result;
                if (result > 0 && result < buffer.Length) _readReady = false;
                return 1;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EIntr) continue;
            if (errno == Libc.EAgain)
            {
                _readReady = false;
                received = 0;
                return 0;
            }

            received = (int)Libc.ToSocketError(errno);
            return -1;
        }
    }

    /// <summary>1 when everything from <paramref name="sent"/> on is sent, 0 when the socket is full (readiness
    /// cleared, <paramref name="sent"/> advanced), -1 with the socket error in <paramref name="sent"/>.</summary>
    private unsafe int TrySend(ReadOnlySpan<byte> bytes, ref int sent)
    {
        while (sent < bytes.Length)
        {
            nint result;
            fixed (byte* start = bytes) result = Libc.Send(_descriptor, start + sent, bytes.Length - sent, Libc.MsgNoSignal);
            if (result >= 0)
            {
                sent += (int)result;
                continue;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EIntr) continue;
            if (errno == Libc.EAgain)
            {
                _writeReady = false;
                return 0;
            }

            sent = (int)Libc.ToSocketError(errno);
            return -1;
        }

        return 1;
    }

    private unsafe int TryAccept(out int descriptor)
    {
        while (true)
        {
            descriptor = Libc.Accept(_descriptor, null, null, Libc.SockNonBlock | Libc.SockCloexec);
            if (descriptor >= 0) return 1;
            var errno = Marshal.GetLastPInvokeError();
            // a connection reset while it waited, or one the process has no descriptor for yet: the next one
            if (errno is Libc.EIntr or 103 /* ECONNABORTED */) continue;
            if (errno == Libc.EAgain)
            {
                _readReady = false;
                return 0;
            }

            descriptor = (int)Libc.ToSocketError(errno);
            return -1;
        }
    }

    private static unsafe EndPoint? EndPointOf(int descriptor, bool local)
    {
        var address = stackalloc byte[128];
        var length = 128;
        var result = local ? Libc.GetSockName(descriptor, address, &length) : GetPeerName(descriptor, address, &length);
        return result == 0 ? Libc.ToEndPoint(new ReadOnlySpan<byte>(address, length)) : null;
    }

    private static unsafe int GetPeerName(int descriptor, byte* address, int* length) => Libc.GetPeerName(descriptor, address, length);

    private enum OperationKind
    {
        Receive,
        Readable,
        Accept,
        Send,
        Connect,
    }

    /// <summary>The one receive (or accept) or the one send (or connect) waiting on the socket; reused.</summary>
    private sealed class Operation(LoopSocket socket) : IValueTaskSource<int>
    {
        private ManualResetValueTaskSourceCore<int> _core = new() { RunContinuationsAsynchronously = false };
        private CancellationTokenRegistration _cancellation;
        private int _result;
        private Exception? _error;

        public bool IsPending { get; private set; }

        public OperationKind Kind { get; private set; }

        public Memory<byte> Buffer { get; private set; }

        public int Done { get; set; }

        /// <summary>Under the socket's gate.</summary>
        public ValueTask<int> Start(OperationKind kind, Memory<byte> buffer, int done, CancellationToken cancellationToken)
        {
            if (IsPending) throw new InvalidOperationException($"A {Kind} is already waiting on this socket.");
            _core.Reset();
            IsPending = true;
            Kind = kind;
            Buffer = buffer;
            Done = done;
            var version = _core.Version;
            if (cancellationToken.CanBeCanceled)
            {
                _cancellation = cancellationToken.UnsafeRegister(static (state, token) =>
                {
                    var (operation, version) = ((Operation, short))state!;
                    operation.Cancel(version, token);
                }, (this, version));
            }

            return new ValueTask<int>(this, version);
        }

        /// <summary>Under the socket's gate: the outcome, for <see cref="Complete"/> after the gate is left.</summary>
        public void Finish(int result, Exception? error)
        {
            IsPending = false;
            Buffer = default;
            _result = result;
            _error = error;
        }

        /// <summary>Outside the gate: runs the continuation.</summary>
        public void Complete()
        {
            _cancellation.Unregister();
            _cancellation = default;
            if (_error is { } error) _core.SetException(error);
            else _core.SetResult(_result);
        }

        public void Fail(Exception error)
        {
            lock (socket._gate)
            {
                if (!IsPending) return;
                Finish(0, error);
            }

            Complete();
        }

        private void Cancel(short version, CancellationToken token)
        {
            lock (socket._gate)
            {
                if (!IsPending || _core.Version != version) return;
                Finish(0, new OperationCanceledException(token));
            }

            Complete();
        }

        public int GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
