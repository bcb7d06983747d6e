using System.Net.WebSockets;
using System.Threading.Channels;

namespace LiveMicro.Live.Presence;

/// <summary>One open room WebSocket on this instance. Everything sent to it goes through one bounded queue and
/// one send loop (a WebSocket allows one send at a time); a client that reads too slowly loses the oldest
/// queued messages (counts and states, each superseded by the next) instead of holding memory.</summary>
public sealed class RoomSocket
{
    private readonly Channel<ReadOnlyMemory<byte>> _outgoing;

    public RoomSocket(WebSocket socket, long roomId, string viewer, long? userId, bool isOwner, int queueLength)
    {
        Socket = socket;
        RoomId = roomId;
        Viewer = viewer;
        UserId = userId;
        IsOwner = isOwner;
        _outgoing = Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(queueLength)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
    }

    public string ConnectionId { get; } = Guid.NewGuid().ToString("N");

    public WebSocket Socket { get; }

    public long RoomId { get; }

    public string Viewer { get; }

    public long? UserId { get; }

    public bool IsOwner { get; }

    /// <summary>Queues a UTF-8 JSON text frame; the same bytes may be queued on every socket of a room.</summary>
    public void Send(ReadOnlyMemory<byte> utf8Json) => _outgoing.Writer.TryWrite(utf8Json);

    /// <summary>Sends the queue until the socket closes or <see cref="Complete"/> is called.</summary>
    public async Task RunSendLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var frame in _outgoing.Reader.ReadAllAsync(cancellationToken))
            {
                if (Socket.State != WebSocketState.Open) break;
                await Socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // the receive loop sees the same failure and ends the session
        }
    }

    public bool RoomEnded { get; private set; }

    /// <summary>No more messages: the send loop ends once the queue is empty.</summary>
    public void Complete() => _outgoing.Writer.TryComplete();

    /// <summary>Sends what is queued, then closes the socket: the room is over.</summary>
    public void EndRoom()
    {
        RoomEnded = true;
        Complete();
    }
}
