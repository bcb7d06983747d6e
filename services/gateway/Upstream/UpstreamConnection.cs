using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using LiveMicro.Gateway.Transport;

namespace LiveMicro.Gateway.Upstream;

/// <summary>One keep-alive HTTP/1.1 connection to a destination, used by one request at a time. It sends a request
/// head (and body) and reads the response head into its own buffer, then hands out the body as it arrives, framing
/// taken off; it can be used again only when that body was read to its end. Failures surface as
/// <see cref="HttpRequestException"/> with the same <see cref="HttpRequestError"/> SocketsHttpHandler would give,
/// cancellation as <see cref="OperationCanceledException"/>.</summary>
public sealed class UpstreamConnection : IDisposable
{
    /// <summary>Holds a typical response whole and a streamed body in pieces the size of a socket read.</summary>
    private const int BufferSize = 16 * 1024;

    /// <summary>The deadline of a connection the sweep closed.</summary>
    private const long Swept = -1;

    private readonly Stream? _stream;
    private readonly IDisposable _transport;
    // plain HTTP goes to the socket itself, a layer fewer than through the stream on every read and write
    private readonly Socket? _socket;
    private readonly LoopSocket? _loopSocket;
    // 0 while no request waits on the connection; see Watch
    private long _deadline;
    private CancellationToken _clientAborted;
    private volatile bool _disposed;
    private readonly ChunkedBodyDecoder _chunked = new();
    private byte[] _buffer = GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
    private int _start;
    private int _end;
    private int _headStart;
    private BodyFraming _framing;
    private long _bodyRemaining;
    private bool _bodyComplete;
    private int _responses;
    // the strings of the last response's fields, by position: a destination repeats its headers, so most are reused
    private string?[] _names = new string?[16];
    private string?[] _values = new string?[16];

    private UpstreamConnection(Socket transport, Stream stream, long createdAt)
    {
        _transport = transport;
        _stream = stream;
        _socket = stream is NetworkStream ? transport : null;
        CreatedAt = createdAt;
    }

    private UpstreamConnection(LoopSocket socket, long createdAt)
    {
        _transport = _loopSocket = socket;
        CreatedAt = createdAt;
    }

    /// <summary>The request head is written here before it is sent; also the framing of a chunked request body.</summary>
    public ArrayBufferWriter<byte> Output { get; } = new(1024);

    public ResponseHeadParser Head { get; } = new();

    public long CreatedAt { get; }

    /// <summary>When the connection went back to its pool.</summary>
    public long IdleSince { get; private set; }

    /// <summary>A response was read on this connection before: the destination may have closed it while it idled.</summary>
    public bool IsReused => _responses > 0;

    /// <summary>Part of the response to the current request arrived: the destination saw the request.</summary>
    public bool HasReceivedResponse { get; private set; }

    public bool IsBodyComplete => _bodyComplete;

    /// <summary>The response was read to its end and the destination keeps the connection open.</summary>
    public bool CanBeReused =>
        _bodyComplete && !Head.ClosesConnection && _framing != BodyFraming.UntilClose && _start == _end;

    /// <summary>Connects within <paramref name="connectTimeout"/>, over TLS when <paramref name="tlsHost"/> is set. A
    /// failure is a <see cref="HttpRequestError.ConnectionError"/>: the destination saw nothing.</summary>
    public static async ValueTask<UpstreamConnection> ConnectAsync(EndPoint endPoint, string? tlsHost, TimeSpan connectTimeout,
        long now, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(connectTimeout);
        try
        {
            await socket.ConnectAsync(endPoint, deadline.Token);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (tlsHost is not null)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = tlsHost }, deadline.Token);
                stream = tls;
            }

            return new UpstreamConnection(socket, stream, now);
        }
        catch (Exception e)
        {
            socket.Dispose();
            if (cancellationToken.IsCancellationRequested) throw;
            throw ConnectFailed(endPoint, connectTimeout, e);
        }
    }

    /// <summary>Connects a plain HTTP connection run by a <see cref="SocketLoop"/>, as <see cref="ConnectAsync"/>
    /// does otherwise.</summary>
    public static async ValueTask<UpstreamConnection> ConnectOnLoopAsync(EndPoint endPoint, TimeSpan connectTimeout, long now,
        CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(connectTimeout);
        try
        {
            return new UpstreamConnection(await LoopSocket.ConnectAsync(endPoint, deadline.Token), now);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw ConnectFailed(endPoint, connectTimeout, e);
        }
    }

    private static HttpRequestException ConnectFailed(EndPoint endPoint, TimeSpan connectTimeout, Exception e) => e is OperationCanceledException
        ? new HttpRequestException(HttpRequestError.ConnectionError, $"Connecting to {endPoint} timed out after {connectTimeout}.", new TimeoutException())
        : new HttpRequestException(HttpRequestError.ConnectionError, $"Could not connect to {endPoint}: {e.Message}", e);

    /// <summary>Sends what was written to <see cref="Output"/> and clears it.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendOutputAsync(CancellationToken cancellationToken)
    {
        await SendAsync(Output.WrittenMemory, cancellationToken);
        Output.ResetWrittenCount();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        try
        {
            if (_loopSocket is not null) await _loopSocket.SendAsync(bytes, cancellationToken);
            else if (_socket is null) await _stream!.WriteAsync(bytes, cancellationToken);
            else while (!bytes.IsEmpty) bytes = bytes[await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken)..];
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            throw new HttpRequestException(HttpRequestError.Unknown, $"Sending the request failed: {e.Message}", e);
        }
    }

    /// <summary>Reads the next final response head (interim 1xx responses are passed over) into <see cref="Head"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReadHeadAsync(bool isHeadRequest, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryParseHead(out var headLength))
            {
                _headStart = _start;
                HeadLength = headLength;
                _start += headLength;
                if (Head.StatusCode is >= 100 and < 200 && Head.StatusCode != 101) continue;
                if (Head.StatusCode == 101) throw new HttpRequestException(HttpRequestError.InvalidResponse, "The destination switched protocols unasked.");
                StartBody(isHeadRequest);
                return;
            }

            Compact();
            // a head longer than the buffer and still under the limit is kept whole in a larger one
            if (_end == _buffer.Length) Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, ResponseHeadParser.MaxHeadLength + BufferSize));

            int received;
            try
            {
                received = Received(await StartReceive(cancellationToken));
            }
            catch (Exception e) when (IsTransportFailure(e))
            {
                throw ReceiveFailed(e);
            }

            if (received == 0)
                throw new HttpRequestException(HttpRequestError.ResponseEnded, "The destination closed the connection before its response head ended.");
        }
    }

    /// <summary>The length of the head just read, its empty line included.</summary>
    public int HeadLength { get; private set; }

    /// <summary>A field's name of the head just read, as a string; valid until the body is read.</summary>
    public string FieldName(int index) => Cached(ref _names, index, FieldNameBytes(index));

    public string FieldValue(int index) => Cached(ref _values, index, FieldValueBytes(index));

    public ReadOnlySpan<byte> FieldNameBytes(int index)
    {
        var field = Head.Fields[index];
        return _buffer.AsSpan(_headStart + field.NameStart, field.NameLength);
    }

    public ReadOnlySpan<byte> FieldValueBytes(int index)
    {
        var field = Head.Fields[index];
        return _buffer.AsSpan(_headStart + field.ValueStart, field.ValueLength);
    }

    /// <summary>The body bytes already received, framing taken off, without waiting for more; false when there are
    /// none. The memory is valid until the next call.</summary>
    public bool TryReadBody(out ReadOnlyMemory<byte> data)
    {
        data = default;
        while (!_bodyComplete && _start < _end)
        {
            switch (_framing)
            {
                case BodyFraming.ContentLength:
                    var length = (int)Math.Min(_bodyRemaining, _end - _start);
                    data = _buffer.AsMemory(_start, length);
                    _start += length;
                    _bodyRemaining -= length;
                    _bodyComplete = _bodyRemaining == 0;
                    return true;
                case BodyFraming.Chunked:
                    int consumed, offset, count;
                    try
                    {
                        consumed = _chunked.Decode(_buffer.AsSpan(_start, _end - _start), out offset, out count);
                    }
                    catch (UpstreamProtocolException e)
                    {
                        throw InvalidResponse(e);
                    }

                    data = _buffer.AsMemory(_start + offset, count);
                    _start += consumed;
                    _bodyComplete = _chunked.IsComplete;
                    if (count > 0) return true;
                    break;
                default:
                    data = _buffer.AsMemory(_start, _end - _start);
                    _start = _end;
                    return true;
            }
        }

        return false;
    }

    /// <summary>Waits for more of the body. The end of the stream ends a body read until close; any other body it
    /// cuts short.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReceiveBodyAsync(CancellationToken cancellationToken)
    {
        Compact();
        try
        {
            if (Received(await StartReceive(cancellationToken)) > 0) return;
        }
        catch (Exception e) when (IsTransportFailure(e))
        {
            throw ReceiveFailed(e);
        }

        if (_framing != BodyFraming.UntilClose)
            throw new HttpRequestException(HttpRequestError.ResponseEnded, "The destination closed the connection before the response body ended.");
        _bodyComplete = true;
    }

    /// <summary>Puts a request's deadline (a <see cref="TimeProvider"/> timestamp) and its client's token under the
    /// watch of <see cref="UpstreamDeadlineSweep"/>, until <see cref="EndWatch"/>.</summary>
    public void Watch(long deadline, CancellationToken clientAborted)
    {
        _clientAborted = clientAborted;
        Volatile.Write(ref _deadline, deadline);
    }

    /// <summary>Ends the watch; false when the sweep closed the connection first (the request ran out of time or its
    /// client went away), whatever the request saw of it.</summary>
    public bool EndWatch()
    {
        var swept = Interlocked.Exchange(ref _deadline, 0) == Swept;
        _clientAborted = default;
        return !swept;
    }

    public bool IsDisposed => _disposed;

    /// <summary>Closes the connection when the request waiting on it is overdue at <paramref name="now"/> or its client
    /// went away. Called by the sweep, on its own thread: closing the socket is what fails the waiting request, and
    /// the exchange decides between the sweep and <see cref="EndWatch"/>, so a request that ended in time never has
    /// its connection closed under it.</summary>
    internal void CloseIfOverdue(long now)
    {
        var deadline = Volatile.Read(ref _deadline);
        if (deadline <= 0 || (now < deadline && !_clientAborted.IsCancellationRequested)) return;
        if (Interlocked.CompareExchange(ref _deadline, Swept, deadline) != deadline) return;
        // the socket, not the stream: disposing a TLS stream under a pending read is not safe, closing its socket is
        _transport.Dispose();
    }

    /// <summary>Marks the connection idle, its response read to the end, ready for the next request.</summary>
    public void BecomeIdle(long now)
    {
        IdleSince = now;
        HasReceivedResponse = false;
    }

    public void Dispose()
    {
        _disposed = true;
        if (_stream is null) _transport.Dispose();
        else _stream.Dispose();
    }

    private bool TryParseHead(out int headLength)
    {
        try
        {
            return Head.TryParse(_buffer.AsSpan(_start, _end - _start), out headLength);
        }
        catch (UpstreamProtocolException e)
        {
            throw InvalidResponse(e);
        }
    }

    /// <summary>What the destination sent is not HTTP/1.1 as the gateway reads it: the forwarder answers 502 for it,
    /// as for any other upstream failure.</summary>
    private static HttpRequestException InvalidResponse(UpstreamProtocolException e) =>
        new(HttpRequestError.InvalidResponse, e.Message, e);

    private void StartBody(bool isHeadRequest)
    {
        _responses++;
        _framing = Head.FramingFor(isHeadRequest);
        _bodyRemaining = Head.ContentLength;
        _bodyComplete = _framing == BodyFraming.None;
        if (_framing == BodyFraming.Chunked) _chunked.Reset();
    }

    /// <summary>Starts a read into the free end of the buffer. Not an async method of its own: a response head
    /// waits here on every request, and the callers await the socket directly, one resumption fewer.</summary>
    private ValueTask<int> StartReceive(CancellationToken cancellationToken) =>
        _loopSocket?.ReceiveAsync(_buffer.AsMemory(_end), cancellationToken)
        ?? (_socket is null
            ? _stream!.ReadAsync(_buffer.AsMemory(_end), cancellationToken)
            : _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken));

    /// <summary>Takes in what a read brought; the caller's catch turns a transport failure into
    /// <see cref="ReceiveFailed"/>.</summary>
    private int Received(int received)
    {
        _end += received;
        if (received > 0) HasReceivedResponse = true;
        return received;
    }

    private static bool IsTransportFailure(Exception e) => e is IOException or SocketException or ObjectDisposedException;

    private static HttpRequestException ReceiveFailed(Exception e) =>
        new(HttpRequestError.ResponseEnded, $"Receiving the response failed: {e.Message}", e);

    private void Compact()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
    }

    private static string Cached(ref string?[] cache, int index, ReadOnlySpan<byte> bytes)
    {
        if (index >= cache.Length) Array.Resize(ref cache, Math.Max(index + 1, cache.Length * 2));
        if (cache[index] is { } last && last.Length == bytes.Length && Ascii.Equals(bytes, last)) return last;
        return cache[index] = Encoding.Latin1.GetString(bytes);
    }
}
