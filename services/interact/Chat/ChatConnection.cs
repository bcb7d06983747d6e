using System.Net.WebSockets;
using System.Threading.Channels;

namespace LiveMicro.Interact.Chat;

/// <summary>One client socket. Everything it is sent goes through a bounded queue of ready frames read by a single
/// send loop, so a broadcast never waits for a client; a client whose queue fills up is dropped with a close reason
/// instead of holding the room back or growing memory.</summary>
public sealed class ChatConnection
{
    private readonly WebSocket _socket;
    private readonly Channel<ChatFrame> _outgoing;
    private readonly CancellationTokenSource _aborted = new();
    private readonly TimeSpan _closeTimeout;
    private DropRequest? _drop;
    private int _missedPings;

    public ChatConnection(string id, long roomId, long? userId, string? name, string? accessToken, ChatProtocol protocol,
        WebSocket socket, int queueCapacity, TimeSpan closeTimeout)
    {
        Id = id;
        RoomId = roomId;
        UserId = userId;
        Name = name;
        AccessToken = accessToken;
        Protocol = protocol;
        _socket = socket;
        _closeTimeout = closeTimeout;
        _outgoing = Channel.CreateBounded<ChatFrame>(new BoundedChannelOptions(queueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public string Id { get; }

    public long RoomId { get; }

    /// <summary>Null for a guest.</summary>
    public long? UserId { get; }

    public string? Name { get; }

    /// <summary>The token the client connected with: the user service answers "do you follow" on its behalf.</summary>
    public string? AccessToken { get; }

    public ChatProtocol Protocol { get; }

    /// <summary>Cancelled when the connection is dropped or its socket fails.</summary>
    public CancellationToken Aborted => _aborted.Token;

    public WebSocketMessageType MessageType =>
        Protocol == ChatProtocol.Json ? WebSocketMessageType.Text : WebSocketMessageType.Binary;

    /// <summary>Queues a frame without waiting; false when the connection is gone or was just dropped as too slow.</summary>
    public bool TryEnqueue(ChatFrame frame)
    {
        if (_outgoing.Writer.TryWrite(frame)) return true;
        Drop(WebSocketCloseStatus.PolicyViolation, "too slow: outgoing queue full");
        return false;
    }

    /// <summary>Any frame from the client proves it is there.</summary>
    public void MarkAlive() => Volatile.Write(ref _missedPings, 0);

    /// <summary>Counts a ping sent; answers how many went unanswered before it.</summary>
    public int CountPing() => Interlocked.Increment(ref _missedPings) - 1;

    /// <summary>Stops sending (pending frames are discarded), sends a close frame with the reason, and aborts the
    /// socket if the close does not get through within the close timeout.</summary>
    public void Drop(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.CompareExchange(ref _drop, new DropRequest(status, reason), null) is not null) return;
        _outgoing.Writer.TryComplete();
        _aborted.CancelAfter(_closeTimeout);
    }

    /// <summary>Ends the send loop after the frames already queued (the client is leaving).</summary>
    public void Complete() => _outgoing.Writer.TryComplete();

    public DropRequest? DropReason => _drop;

    public async Task RunSendLoopAsync()
    {
        var reader = _outgoing.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_aborted.Token))
            {
                while (_drop is null && reader.TryRead(out var frame))
                {
                    await _socket.SendAsync(frame.For(Protocol), MessageType, endOfMessage: true, _aborted.Token);
                }

                if (_drop is not null) break;
            }

            if (_drop is { } drop && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(drop.Status, drop.Reason, _aborted.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // the socket is gone or had to be aborted; the receive loop ends the session
        }
        finally
        {
            if (_drop is not null) _aborted.CancelAfter(_closeTimeout);
            else _aborted.Cancel();
        }
    }

    /// <summary>Ends everything at once: the socket, the loops.</summary>
    public void Abort()
    {
        _outgoing.Writer.TryComplete();
        _aborted.Cancel();
    }
}

public sealed record DropRequest(WebSocketCloseStatus Status, string Reason);
