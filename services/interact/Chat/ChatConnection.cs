using System.Net.Sockets;
using System.Net.WebSockets;
using LiveMicro.Interact.Chat.WebSockets;

namespace LiveMicro.Interact.Chat;

/// <summary>One client socket, kept small because a room holds tens of thousands of them: an idle connection has no
/// queue, no pending send, no timer and no receive buffer. A frame to send is written at once by the caller when
/// nothing is in flight (the common case: the kernel takes it at once, so a broadcast costs one send call per
/// connection and no task); while a send is in flight, frames wait in a queue made on demand and drained by that send's
/// continuation. A client whose queue fills up is dropped with a close reason instead of holding the room back or
/// growing memory.</summary>
public sealed class ChatConnection
{
    private readonly ServerWebSocket _socket;
    private readonly int _queueCapacity;
    private readonly TimeSpan _closeTimeout;
    private readonly Lock _gate = new();
    private Queue<ChatFrame>? _queue;
    private TaskCompletionSource? _idle;
    private CancellationTokenSource? _aborted;
    private DropRequest? _drop;
    private bool _sending;
    private bool _closed;
    private bool _abortRequested;
    private int _missedPings;

    public ChatConnection(string id, long roomId, long? userId, string? name, string? accessToken, ChatProtocol protocol,
        ServerWebSocket socket, int queueCapacity, TimeSpan closeTimeout)
    {
        Id = id;
        RoomId = roomId;
        UserId = userId;
        Name = name;
        AccessToken = accessToken;
        Protocol = protocol;
        _socket = socket;
        _queueCapacity = queueCapacity;
        _closeTimeout = closeTimeout;
    }

    public string Id { get; }

    public long RoomId { get; }

    /// <summary>Null for a guest.</summary>
    public long? UserId { get; }

    public string? Name { get; }

    /// <summary>The token the client connected with: the user service answers "do you follow" on its behalf.</summary>
    public string? AccessToken { get; }

    public ChatProtocol Protocol { get; }

    /// <summary>How far into its room's <see cref="RoomLog"/> this connection has been given frames; set when it
    /// joins the room, then moved only by the walk of its shard.</summary>
    internal long RoomPosition { get; set; }

    /// <summary>Cancelled when the connection is aborted (made on first use: most connections never need one).</summary>
    public CancellationToken Aborted
    {
        get
        {
            var source = Volatile.Read(ref _aborted);
            if (source is null)
            {
                var created = new CancellationTokenSource();
                source = Interlocked.CompareExchange(ref _aborted, created, null) ?? created;
                if (Volatile.Read(ref _abortRequested)) source.Cancel();
            }

            return source.Token;
        }
    }

    public WebSocketMessageType MessageType =>
        Protocol == ChatProtocol.Json ? WebSocketMessageType.Text : WebSocketMessageType.Binary;

    public DropRequest? DropReason => Volatile.Read(ref _drop);

    /// <summary>Sends or queues a frame without waiting; false when the connection is gone, closing, or was just
    /// dropped as too slow.</summary>
    public bool TryEnqueue(ChatFrame frame)
    {
        var full = false;
        lock (_gate)
        {
            if (_drop is not null || _closed) return false;
            if (!_sending)
            {
                _sending = true;
            }
            else if ((_queue ??= new Queue<ChatFrame>(4)).Count < _queueCapacity)
            {
                _queue.Enqueue(frame);
                return true;
            }
            else
            {
                full = true;
            }
        }

        if (full)
        {
            Drop(WebSocketCloseStatus.PolicyViolation, "too slow: outgoing queue full");
            return false;
        }

        SendFrom(frame);
        return true;
    }

    /// <summary>Any frame from the client proves it is there.</summary>
    public void MarkAlive() => Volatile.Write(ref _missedPings, 0);

    /// <summary>Counts a ping sent; answers how many went unanswered before it.</summary>
    public int CountPing() => Interlocked.Increment(ref _missedPings) - 1;

    /// <summary>Stops sending (pending frames are discarded), sends a close frame with the reason once the send in
    /// flight (if any) is done, and aborts the socket if the close does not get through within the close timeout.</summary>
    public void Drop(WebSocketCloseStatus status, string reason)
    {
        bool closeNow;
        lock (_gate)
        {
            if (_drop is not null || _abortRequested) return;
            _drop = new DropRequest(status, reason);
            _queue = null;
            closeNow = !_sending;
            _sending = true;
        }

        if (closeNow) _ = CloseAsync();
        _ = AbortAfterAsync(_closeTimeout);
    }

    /// <summary>No more frames are taken; those already queued still go out (the client is leaving).</summary>
    public void Complete()
    {
        lock (_gate) _closed = true;
    }

    /// <summary>Completes when nothing is being sent any more (queued frames and a drop's close frame included).</summary>
    public Task WhenSentAsync()
    {
        lock (_gate)
        {
            if (!_sending) return Task.CompletedTask;
            return (_idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>Ends everything at once: the socket, the sending, the receive loop.</summary>
    public void Abort() => Stop(abortSocket: true);

    /// <summary>Ends the sending after a completed close handshake; the connection itself is closed in order by its
    /// owner.</summary>
    public void Stop() => Stop(abortSocket: false);

    private void Stop(bool abortSocket)
    {
        TaskCompletionSource? idle;
        lock (_gate)
        {
            _abortRequested = true;
            _closed = true;
            _queue = null;
            _sending = false;
            idle = _idle;
            _idle = null;
        }

        if (abortSocket) _socket.Abort();
        Volatile.Read(ref _aborted)?.Cancel();
        idle?.TrySetResult();
    }

    /// <summary>Writes frames while the socket takes them synchronously; hands over to <see cref="SendRestAsync"/>
    /// at the first one that has to wait. Called with <see cref="_sending"/> set by the caller.</summary>
    private void SendFrom(ChatFrame? frame)
    {
        while (frame is not null)
        {
            ValueTask sent;
            try
            {
                sent = _socket.SendAsync(frame.For(Protocol));
                if (sent.IsCompleted)
                {
                    sent.GetAwaiter().GetResult();
                    frame = Next();
                    continue;
                }
            }
            catch (Exception e) when (IsGone(e))
            {
                Abort();
                return;
            }

            _ = SendRestAsync(sent);
            return;
        }
    }

    private async Task SendRestAsync(ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
            while (Next() is { } frame)
            {
                await _socket.SendAsync(frame.For(Protocol)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (IsGone(e))
        {
            Abort();
        }
    }

    /// <summary>The next queued frame, or null when sending stops here: idle (waiters released), or a drop whose
    /// close frame is now started.</summary>
    private ChatFrame? Next()
    {
        TaskCompletionSource? idle;
        lock (_gate)
        {
            if (!_sending) return null; // aborted meanwhile
            if (_drop is not null)
            {
                // the close frame goes out now and clears _sending when done
                _ = CloseAsync();
                return null;
            }

            if (_queue is { Count: > 0 } queue)
            {
                var frame = queue.Dequeue();
                if (queue.Count == 0) _queue = null;
                return frame;
            }

            _sending = false;
            idle = _idle;
            _idle = null;
        }

        idle?.TrySetResult();
        return null;
    }

    private async Task CloseAsync()
    {
        await Task.Yield();
        try
        {
            if (_drop is { } drop && _socket.TrySendClose(drop.Status, drop.Reason, out var sent))
            {
                await sent.ConfigureAwait(false);
            }
        }
        catch (Exception e) when (IsGone(e))
        {
            // aborted after the close timeout, or the socket failed: nothing more to say to this client
        }
        finally
        {
            TaskCompletionSource? idle;
            lock (_gate)
            {
                _sending = false;
                idle = _idle;
                _idle = null;
            }

            idle?.TrySetResult();
        }
    }

    private async Task AbortAfterAsync(TimeSpan timeout)
    {
        await Task.Delay(timeout).ConfigureAwait(false);
        Abort();
    }

    private static bool IsGone(Exception e) =>
        e is OperationCanceledException or SocketException or ObjectDisposedException or IOException or InvalidOperationException;
}

public sealed record DropRequest(WebSocketCloseStatus Status, string Reason);
