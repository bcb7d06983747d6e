using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using LiveMicro.Interact.Chat.WebSockets;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace LiveMicro.Interact.Chat;

/// <summary>Kestrel connection middleware that takes a chat WebSocket over before HTTP sees it, when the first request
/// on a connection is an acceptable opening handshake for <c>/ws/chat/{roomId}</c> (every browser opens a WebSocket
/// on a connection of its own). Such a connection then holds no HTTP request state for its lifetime, and frames go
/// straight to its socket: this is what keeps tens of thousands of idle viewers cheap and a room broadcast at one
/// send call per viewer. Everything else, refusals included, is left untouched to HTTP, where the chat endpoint
/// answers the same handshake the ordinary way.</summary>
public sealed partial class ChatConnectionListener(IServiceScopeFactory scopes, ChatAdmission admission, ChatSessions sessions,
    ILogger<ChatConnectionListener> logger)
{
    private const string ChatPath = "/ws/chat/";
    private const int MaxHeadBytes = 8192;
    private static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(10);

    private static ReadOnlySpan<byte> ChatRequestStart => "GET /ws/chat/"u8;

    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        if (connection.Features.Get<IConnectionSocketFeature>()?.Socket is not { } socket)
        {
            await next(connection);
            return;
        }

        // accepted in a method of its own, so the handshake's head and buffers are not held for the socket's life
        var (takenOver, session) = await TryAcceptAsync(connection, socket);
        if (!takenOver) await next(connection);
        else if (session is var (webSocket, ticket)) await sessions.RunAsync(webSocket, ticket);
    }

    /// <summary>Not taken over, with nothing read from the connection, when HTTP should have it; taken over with no
    /// session when the client left during the handshake.</summary>
    private async Task<(bool TakenOver, (ServerWebSocket Socket, ChatTicket Ticket)? Session)> TryAcceptAsync(
        ConnectionContext connection, System.Net.Sockets.Socket socket)
    {
        var input = connection.Transport.Input;
        var head = await ReadHeadAsync(input);
        if (head is not { } read) return (false, null);

        ChatTicket? ticket = null;
        try
        {
            ticket = await AdmitAsync(connection, read.Head);
        }
        catch (OperationCanceledException)
        {
            return (true, null);
        }
        finally
        {
            input.AdvanceTo(ticket is null ? read.Buffer.Start : read.End);
        }

        if (ticket is null) return (false, null);

        var output = new SocketOutput(socket, connection.Abort);
        try
        {
            await output.SendAsync(WebSocketProtocol.SwitchingProtocolsResponse(ticket.Key, ticket.Subprotocol));
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            return (true, null);
        }

        return (true, (new ServerWebSocket(input, output), ticket));
    }

    /// <summary>The head of a chat opening handshake, left unconsumed in the pipe; null (pipe untouched) as soon as the
    /// connection shows it is something else.</summary>
    private static async Task<(HttpRequestHead Head, ReadOnlySequence<byte> Buffer, SequencePosition End)?> ReadHeadAsync(PipeReader input)
    {
        using var timeout = new CancellationTokenSource(HeadTimeout);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // slow to speak: HTTP's own timeouts decide
                return null;
            }

            var buffer = result.Buffer;
            if (!StartsLikeChatRequest(buffer))
            {
                input.AdvanceTo(buffer.Start);
                return null;
            }

            var reader = new SequenceReader<byte>(buffer);
            if (reader.TryReadTo(out ReadOnlySequence<byte> _, EndOfHead) && reader.Consumed <= MaxHeadBytes)
            {
                var headBytes = buffer.Slice(0, reader.Position);
                var head = HttpRequestHead.TryParse(headBytes.IsSingleSegment ? headBytes.FirstSpan : headBytes.ToArray());
                if (head is not null) return (head, buffer, reader.Position);
                input.AdvanceTo(buffer.Start);
                return null;
            }

            if (buffer.Length > MaxHeadBytes || result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start);
                return null;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>True while what arrived so far could be the start of a chat handshake.</summary>
    private static bool StartsLikeChatRequest(ReadOnlySequence<byte> buffer)
    {
        Span<byte> start = stackalloc byte[ChatRequestStart.Length];
        var length = (int)Math.Min(buffer.Length, start.Length);
        buffer.Slice(0, length).CopyTo(start);
        return ChatRequestStart.StartsWith(start[..length]);
    }

    /// <summary>Authenticates and admits the handshake exactly as the HTTP endpoint would; null to leave it to HTTP
    /// (which then answers the refusal).</summary>
    private async Task<ChatTicket?> AdmitAsync(ConnectionContext connection, HttpRequestHead head)
    {
        if (!head.Path.StartsWith(ChatPath, StringComparison.Ordinal) ||
            !long.TryParse(head.Path.AsSpan(ChatPath.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var roomId))
        {
            return null;
        }

        await using var scope = scopes.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        var request = http.Request;
        request.Method = head.Method;
        request.Scheme = "http";
        request.Path = PathString.FromUriComponent(head.Path);
        request.QueryString = new QueryString(head.Query.Length > 0 ? head.Query : null);
        foreach (var (name, value) in head.Headers) request.Headers.Append(name, value);
        http.Connection.RemoteIpAddress = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        try
        {
            var authentication = await http.AuthenticateAsync();
            if (authentication.Succeeded) http.User = authentication.Principal;
            var (ticket, _) = await admission.AdmitAsync(roomId, request, http.User, connection.ConnectionClosed);
            return ticket;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // HTTP answers it, with its own error handling
            LogAdmissionFailed(logger, e, head.Path);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chat handshake for {Path} left to HTTP after an error")]
    private static partial void LogAdmissionFailed(ILogger logger, Exception exception, string path);
}
