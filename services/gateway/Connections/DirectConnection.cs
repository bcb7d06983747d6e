using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using LiveMicro.Gateway.Forwarding;
using LiveMicro.Gateway.RateLimiting;
using LiveMicro.Gateway.Upstream;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace LiveMicro.Gateway.Connections;

/// <summary>One client connection on the direct path: plain GETs to anonymous routes are read, admitted and forwarded
/// here, straight between Kestrel's transport and the destination, without Kestrel's HTTP layer. The first request
/// that is anything else, and everything after it on the connection, goes to Kestrel with its bytes still unread, so
/// it is served exactly as it would have been without the direct path.</summary>
internal sealed class DirectConnection
{
    private readonly ConnectionContext _connection;
    private readonly DirectForwarding _forwarding;
    private readonly PipeReader _input;
    private readonly CancellationToken _closeRequested;
    private readonly DirectForwardAttempt _attempt;
    private readonly IPAddress? _remoteAddress;
    private readonly byte[] _requestId = new byte[128 + 2 + 8];
    private readonly byte[] _connectionId;
    private byte[]? _headCopy;
    private ReadOnlyMemory<byte> _head;
    private int _requestIdLength;
    private uint _requests;
    private long _deadline = long.MaxValue;
    private bool _readingHead;

    public DirectConnection(ConnectionContext connection, DirectForwarding forwarding)
    {
        _connection = connection;
        _forwarding = forwarding;
        _input = connection.Transport.Input;
        Output = connection.Transport.Output;
        _closeRequested = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        _attempt = new DirectForwardAttempt(this);
        _remoteAddress = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        ForwardedFor = _remoteAddress is null ? []
            : Encoding.ASCII.GetBytes((_remoteAddress.IsIPv4MappedToIPv6 ? _remoteAddress.MapToIPv4() : _remoteAddress).ToString());
        _connectionId = Encoding.ASCII.GetBytes(connection.ConnectionId);
    }

    public DirectRequestHead Head { get; } = new();

    /// <summary>The bytes <see cref="Head"/> was parsed from.</summary>
    public ReadOnlySpan<byte> HeadBytes => _head.Span;

    public string Path { get; private set; } = "/";

    public PipeWriter Output { get; }

    public byte[] ForwardedFor { get; }

    /// <summary>The client's X-Request-Id when it sent a usable one, else the connection id and the request's number,
    /// as Kestrel makes its TraceIdentifier, with a D before the number: Kestrel numbers the requests it takes over
    /// from 1 again.</summary>
    public ReadOnlySpan<byte> RequestId => _requestId.AsSpan(0, _requestIdLength);

    public CancellationToken Closed => _connection.ConnectionClosed;

    /// <summary>When the heartbeat aborts the connection (<see cref="DirectConnectionHeartbeat.Now"/>'s clock).</summary>
    public long Deadline => Volatile.Read(ref _deadline);

    /// <summary>A connection waiting for a request is ended gracefully (an idle one closed, a half-sent head answered
    /// 408, as Kestrel does); one whose client stopped reading its response is aborted.</summary>
    public void TimeOut()
    {
        if (Volatile.Read(ref _readingHead)) _input.CancelPendingRead();
        else _connection.Abort(new ConnectionAbortedException("The client stopped reading its response."));
    }

    public async Task RunAsync(ConnectionDelegate kestrel)
    {
        var limits = _forwarding.Limits;
        while (true)
        {
            SetDeadline(limits.KeepAliveTimeout);
            Volatile.Write(ref _readingHead, true);
            var headStarted = false;
            ReadResult read;
            DirectRequestHeadResult parsed;
            int headLength;
            while (true)
            {
                try
                {
                    read = await _input.ReadAsync(_closeRequested);
                }
                catch (OperationCanceledException)
                {
                    // the server is stopping and no request is under way
                    return;
                }
                catch (ConnectionResetException)
                {
                    // a client gone with a reset instead of a FIN (killed, or a load generator stopping) is as gone;
                    // thrown on, it would reach Kestrel as an unhandled error
                    return;
                }

                if (read.Buffer.IsEmpty && (read.IsCompleted || read.IsCanceled)) return;
                parsed = Head.TryParse(Contiguous(read.Buffer), out headLength);
                if (parsed == DirectRequestHeadResult.Incomplete && read.IsCanceled)
                {
                    await AnswerRequestTimeoutAsync();
                    return;
                }

                if (parsed != DirectRequestHeadResult.Incomplete || read.IsCompleted) break;
                if (!headStarted)
                {
                    headStarted = true;
                    SetDeadline(limits.RequestHeadersTimeout);
                }

                _input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            }

            Volatile.Write(ref _readingHead, false);
            Volatile.Write(ref _deadline, long.MaxValue);
            if (parsed != DirectRequestHeadResult.Parsed || !TryAdmit(out var route))
            {
                _input.AdvanceTo(read.Buffer.Start);
                await kestrel(_connection);
                return;
            }

            var completed = await ForwardAsync(route);
            _input.AdvanceTo(read.Buffer.GetPosition(headLength));
            if (!completed) return;
        }
    }

    /// <summary>A route that asks nothing of the caller but its address: anonymous, and rate-limited (if at all)
    /// per client address, with a permit left. A refused request goes to Kestrel's path, which refuses it again with
    /// its 429 (or 401, 405, 404).</summary>
    private bool TryAdmit(out ProxyRoute route)
    {
        var head = Head;
        // a client asks for the same path again and again (a player polling, a page's API): the string is reused
        var path = HeadBytes[head.Path];
        if (path.Length != Path.Length || !Ascii.Equals(path, Path)) Path = Encoding.ASCII.GetString(path);
        route = _forwarding.Routes.Match(Path, HttpMethods.Get, out _)!;
        if (route is null || route.RequiresUser) return false;
        if (route.RateLimiter is not { } limiter) return true;
        // a token makes the limit count per user, which Kestrel's path works out
        if (head.CarriesCredentials) return false;
        using var lease = limiter.AttemptAcquire(new RateLimitClient(null, _remoteAddress));
        return lease.IsAcquired;
    }

    /// <summary>False when the connection is done: the client went away or a response broke off.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ForwardAsync(ProxyRoute route)
    {
        MakeRequestId();
        _attempt.Start(route);
        UpstreamConnection? upstream = null;
        var responseStarted = false;
        try
        {
            upstream = await _forwarding.Forwarder.SendAsync(_attempt, static (timeout, attempt) => attempt.SendAsync(timeout), _attempt);
            if (upstream is null) return !Closed.IsCancellationRequested;
            responseStarted = true;
            var chunked = ProxyHeaders.WriteResponseHead(upstream, Output, RequestId, DirectConnectionHeartbeat.DateField);
            if (!await CopyBodyAsync(upstream, chunked, route)) return false;
            if (upstream.CanBeReused)
            {
                _attempt.Destination!.Connections.Return(upstream);
                upstream = null;
            }

            return true;
        }
        catch (Exception e) when (!responseStarted && !Closed.IsCancellationRequested)
        {
            _forwarding.ForwardingFailed(route, e);
            await _attempt.AnswerProblemAsync(StatusCodes.Status500InternalServerError, "gateway-error",
                "The gateway failed to forward the request.", null, null);
            return true;
        }
        finally
        {
            upstream?.Dispose();
            _attempt.Complete();
        }
    }

    /// <summary>Writes the body as it arrives (in chunks of its own where the destination gave no length) and flushes
    /// before waiting for more, so a whole response leaves in one send and a live stream as it comes. A client that
    /// stops reading has until its deadline.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> CopyBodyAsync(UpstreamConnection upstream, bool chunked, ProxyRoute route)
    {
        try
        {
            while (true)
            {
                while (upstream.TryReadBody(out var data))
                {
                    if (data.IsEmpty) continue;
                    if (chunked) RequestHeadWriter.WriteChunkHeader(Output, data.Length);
                    Output.Write(data.Span);
                    if (chunked) RequestHeadWriter.WriteChunkEnd(Output);
                }

                if (upstream.IsBodyComplete && chunked) RequestHeadWriter.WriteLastChunk(Output);
                var flush = Output.FlushAsync(Closed);
                if (!flush.IsCompleted)
                {
                    SetDeadline(_forwarding.Limits.RequestHeadersTimeout);
                    await flush;
                    Volatile.Write(ref _deadline, long.MaxValue);
                }

                var flushed = flush.Result;
                if (flushed.IsCompleted || flushed.IsCanceled) return false;
                if (upstream.IsBodyComplete) return true;
                await upstream.ReceiveBodyAsync(Closed);
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
        {
            if (!Closed.IsCancellationRequested) _forwarding.BodyFailed(route, e);
            _connection.Abort(new ConnectionAbortedException("The response body broke off."));
            return false;
        }
    }

    private async Task AnswerRequestTimeoutAsync()
    {
        Output.Write(StatusLines.Of(StatusCodes.Status408RequestTimeout));
        Output.Write("Content-Length: 0\r\nConnection: close\r\n"u8);
        Output.Write(DirectConnectionHeartbeat.DateField);
        Output.Write("\r\n"u8);
        await Output.FlushAsync();
    }

    private ReadOnlySpan<byte> Contiguous(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            _head = buffer.First;
            return _head.Span;
        }

        _headCopy ??= new byte[DirectRequestHead.MaxLength];
        var length = (int)Math.Min(buffer.Length, _headCopy.Length);
        buffer.Slice(0, length).CopyTo(_headCopy);
        _head = _headCopy.AsMemory(0, length);
        return _head.Span;
    }

    private void MakeRequestId()
    {
        _requests++;
        if (Head.RequestIdField >= 0)
        {
            var field = Head.Fields[Head.RequestIdField];
            HeadBytes.Slice(field.ValueStart, field.ValueLength).CopyTo(_requestId);
            _requestIdLength = field.ValueLength;
            return;
        }

        var id = _requestId.AsSpan();
        var length = Math.Min(_connectionId.Length, 128);
        _connectionId.AsSpan(0, length).CopyTo(id);
        id[length++] = (byte)':';
        id[length++] = (byte)'D';
        _requests.TryFormat(id[length..], out var written, "X8");
        _requestIdLength = length + written;
    }

    private void SetDeadline(TimeSpan? timeout) =>
        Volatile.Write(ref _deadline, timeout is { } t && t != Timeout.InfiniteTimeSpan ? DirectConnectionHeartbeat.Now + (long)t.TotalMilliseconds : long.MaxValue);
}
