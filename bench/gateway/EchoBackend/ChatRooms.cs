using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;

namespace LiveMicro.Bench.EchoBackend;

/// <summary>A minimal chat: every text message goes to every socket of the same room, prefixed with the
/// instance that relayed it; each socket has one sender at a time, as WebSocket requires. <c>close:4001:reason</c>
/// makes the server close with that code; a client's close is answered with the same code and reason.</summary>
public sealed class ChatRooms
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<WebSocket, SemaphoreSlim>> _rooms = new();

    public static async Task AcceptAsync(HttpContext context, string room, ChatRooms rooms, EchoState state)
    {
        state.Hit();
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var members = rooms._rooms.GetOrAdd(room, _ => new());
        using var sending = new SemaphoreSlim(1);
        members[socket] = sending;
        try
        {
            await rooms.RelayAsync(socket, members, state, context.RequestAborted);
        }
        finally
        {
            members.TryRemove(socket, out _);
        }
    }

    private async Task RelayAsync(WebSocket socket, ConcurrentDictionary<WebSocket, SemaphoreSlim> members, EchoState state, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, cancellationToken);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(received.CloseStatus ?? WebSocketCloseStatus.NormalClosure, received.CloseStatusDescription, cancellationToken);
                return;
            }

            var text = Encoding.UTF8.GetString(buffer, 0, received.Count);
            if (text.StartsWith("close:", StringComparison.Ordinal))
            {
                var parts = text.Split(':', 3);
                await socket.CloseAsync((WebSocketCloseStatus)int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture),
                    parts.Length > 2 ? parts[2] : null, cancellationToken);
                return;
            }

            var message = Encoding.UTF8.GetBytes($"{state.Instance}: {text}");
            foreach (var (member, memberSending) in members)
            {
                await memberSending.WaitAsync(cancellationToken);
                try
                {
                    if (member.State == WebSocketState.Open)
                        await member.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
                }
                finally
                {
                    memberSending.Release();
                }
            }
        }
    }
}
