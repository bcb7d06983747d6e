using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace LiveMicro.Testing;

/// <summary>A test's side of a WebSocket that speaks JSON messages.</summary>
public static class JsonSocketClient
{
    public static Task SendJsonAsync(this ClientWebSocket socket, string json) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next JSON message, or null when the server closed the socket.</summary>
    public static async Task<JsonNode?> ReceiveJsonAsync(this ClientWebSocket socket, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var buffer = new byte[64 * 1024];
        var length = 0;
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), cancel.Token);
            length += result.Count;
        }
        while (!result.EndOfMessage);

        return result.MessageType == WebSocketMessageType.Close ? null : JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, length));
    }

    /// <summary>Reads until a message matches; fails after the timeout.</summary>
    public static async Task<JsonNode> ReceiveUntilAsync(this ClientWebSocket socket, Func<JsonNode, bool> match, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero) Assert.Fail($"timed out waiting for {what}");
            JsonNode? message;
            try
            {
                message = await socket.ReceiveJsonAsync(remaining);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"timed out waiting for {what}");
                throw;
            }

            if (message is null) Assert.Fail($"the socket closed ({socket.CloseStatus} {socket.CloseStatusDescription}) before {what}");
            if (match(message!)) return message!;
        }
    }

    /// <summary>Reads and discards in the background, as a real client does (a ClientWebSocket answers the server's
    /// pings only while it is reading); ends when the server closes or the socket is aborted.</summary>
    public static Task DrainAsync(this ClientWebSocket socket) => Task.Run(async () =>
    {
        var buffer = new byte[4096];
        try
        {
            while ((await socket.ReceiveAsync(buffer, CancellationToken.None)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // aborted by the test
        }
    });

    /// <summary>Reads until the server closes the socket; answers its close status.</summary>
    public static async Task<WebSocketCloseStatus?> ReceiveCloseAsync(this ClientWebSocket socket)
    {
        while (await socket.ReceiveJsonAsync() is not null)
        {
        }

        return socket.CloseStatus;
    }
}
