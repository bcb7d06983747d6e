using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace LiveMicro.Interact.Tests;

public sealed record Received(string Type, long? Seq, JsonNode? Data);

/// <summary>A real WebSocket client of the JSON protocol. It reads in the background, answers the server's pings
/// (unless told not to, to play a vanished client) and keeps what else arrives for the test to assert on.</summary>
public sealed class ChatClient : IAsyncDisposable
{
    private readonly Channel<Received> _received = Channel.CreateUnbounded<Received>();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly bool _answerPings;
    private readonly Task _reading;
    private long _seq;

    private ChatClient(ClientWebSocket socket, bool answerPings)
    {
        Socket = socket;
        _answerPings = answerPings;
        _reading = Task.Run(ReadAsync);
    }

    public ClientWebSocket Socket { get; }

    public string ConnectionId { get; private set; } = "";

    public JsonNode Welcome { get; private set; } = null!;

    public JsonNode History { get; private set; } = null!;

    public static async Task<ChatClient> ConnectAsync(Uri server, long roomId, string? token = null, bool answerPings = true)
    {
        var socket = new ClientWebSocket();
        var query = token is null ? "" : $"?access_token={Uri.EscapeDataString(token)}";
        await socket.ConnectAsync(new Uri($"ws://{server.Authority}/ws/chat/{roomId}{query}"), CancellationToken.None);
        var client = new ChatClient(socket, answerPings);
        client.Welcome = await client.NextAsync("welcome");
        client.ConnectionId = client.Welcome["connectionId"]!.GetValue<string>();
        client.History = await client.NextAsync("history");
        return client;
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (true)
            {
                var length = 0;
                WebSocketReceiveResult result;
                do
                {
                    result = await Socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length),
                        CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close) break;
                var node = JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, length))!;
                var message = new Received(node["type"]!.GetValue<string>(), node["seq"]?.GetValue<long>(), node["data"]);
                if (message.Type == "ping")
                {
                    if (_answerPings) await SendRawAsync("""{"type":"pong"}""");
                    continue;
                }

                await _received.Writer.WriteAsync(message);
            }
        }
        catch (WebSocketException)
        {
        }
        finally
        {
            _received.Writer.TryComplete();
        }
    }

    /// <summary>The next message of <paramref name="type"/> (matching <paramref name="match"/>), skipping others.</summary>
    public async Task<JsonNode> NextAsync(string type, Func<JsonNode, bool>? match = null, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            while (true)
            {
                var message = await _received.Reader.ReadAsync(cancel.Token);
                if (message.Type == type && (match is null || match(message.Data!))) return message.Data!;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no '{type}' message arrived on {ConnectionId}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException(
                $"the socket closed ({Socket.CloseStatus} {Socket.CloseStatusDescription}) before a '{type}' message");
        }
    }

    /// <summary>Every message that arrives within <paramref name="window"/>.</summary>
    public async Task<List<Received>> DrainAsync(TimeSpan window)
    {
        var messages = new List<Received>();
        using var cancel = new CancellationTokenSource(window);
        try
        {
            while (true) messages.Add(await _received.Reader.ReadAsync(cancel.Token));
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            return messages;
        }
    }

    /// <summary>Sends a request with a fresh seq and answers the server's reply to it (an ack, an error, a page).</summary>
    public async Task<Received> RequestAsync(string type, object? data = null)
    {
        var seq = Interlocked.Increment(ref _seq);
        await SendRawAsync(JsonSerializer.Serialize(new { type, seq, data }, JsonSerializerOptions.Web));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var message = await _received.Reader.ReadAsync(cancel.Token);
            if (message.Seq == seq) return message;
        }
    }

    public Task SendAsync(string type, object? data = null) =>
        SendRawAsync(JsonSerializer.Serialize(new { type, data }, JsonSerializerOptions.Web));

    public async Task SendRawAsync(string text, WebSocketMessageType messageType = WebSocketMessageType.Text)
    {
        await _sending.WaitAsync();
        try
        {
            await Socket.SendAsync(Encoding.UTF8.GetBytes(text), messageType, true, CancellationToken.None);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Waits until the server closes the socket; answers its close status and reason.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Reason)> ClosedAsync(TimeSpan? timeout = null)
    {
        await _reading.WaitAsync(timeout ?? TimeSpan.FromSeconds(15));
        return (Socket.CloseStatus, Socket.CloseStatusDescription);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Socket.State == WebSocketState.Open)
            {
                using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                // the read loop is receiving, so only the output side is closed here; it then reads the server's close
                await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cancel.Token);
                await _reading.WaitAsync(cancel.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException)
        {
        }

        Socket.Dispose();
    }
}
