using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LiveMicro.Bench.Chat;

/// <summary>Opens raw-socket WebSocket client connections: the handshake is written by hand so that a connection costs
/// a socket and nothing else (no ClientWebSocket, no HttpClient).</summary>
public static class WebSocketHandshake
{
    /// <summary>Connects from 127.0.x.y (250 source addresses per x, so 20,000 connections never run out of
    /// ephemeral ports) and upgrades. Answers the socket and whatever arrived after the 101 in the same read.</summary>
    public static async Task<(Socket Socket, byte[]? Leftover)> ConnectAsync(IPAddress host, int port, string path, int index)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(new IPAddress([127, 0, (byte)(index / 250 % 250), (byte)(2 + index % 250)]), 0));
            await socket.ConnectAsync(new IPEndPoint(host, port));
            var request = Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n" +
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            await socket.SendAsync(request);
            var buffer = new byte[4096];
            var length = 0;
            int end;
            while ((end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8)) < 0)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(length));
                if (n == 0) throw new IOException("closed during the handshake");
                length += n;
            }

            if (!buffer.AsSpan().StartsWith("HTTP/1.1 101"u8))
            {
                throw new IOException("handshake refused: " + Encoding.ASCII.GetString(buffer, 0, end));
            }

            return (socket, length > end + 4 ? buffer[(end + 4)..length] : null);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>Gets one server frame: the connection's index, the payload (valid only during the call) and the
/// <see cref="System.Diagnostics.Stopwatch"/> timestamp of the read it came in.</summary>
public delegate void FrameHandler(int connection, ReadOnlySpan<byte> payload, long receivedAt);

/// <summary>Reads server frames on many connections: each waits with a zero-byte receive (no buffer while idle),
/// then reads what has arrived into one 64 KB buffer per thread and parses the frames in place. Pings are answered
/// here; every other frame goes to the handler.</summary>
public sealed class FrameReceiver(FrameHandler onFrame)
{
    // a masked (key 0) text frame {"type":"pong"}: any frame answers the server's ping
    private static readonly byte[] Pong = [0x81, 0x80 | 15, 0, 0, 0, 0, .. "{\"type\":\"pong\"}"u8];

    [ThreadStatic] private static byte[]? t_buffer;

    private int _closedByServer;

    /// <summary>Connections that ended (a close frame, end of stream or a socket error) before <see cref="Stopping"/>
    /// was set: the server dropped them.</summary>
    public int ClosedByServer => Volatile.Read(ref _closedByServer);

    /// <summary>Set before the bench closes its own connections, so they are not counted as dropped.</summary>
    public bool Stopping { get; set; }

    public async Task ReceiveLoopAsync(Socket socket, int connection, byte[]? carry)
    {
        try
        {
            if (carry is not null && !Parse(socket, connection, carry, carry.Length, out carry)) return;
            while (true)
            {
                await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                var buffer = t_buffer ??= new byte[65536];
                var offset = 0;
                if (carry is not null)
                {
                    carry.CopyTo(buffer, 0);
                    offset = carry.Length;
                }

                // data (or the end) is there: this does not block
                var n = socket.Receive(buffer, offset, buffer.Length - offset, SocketFlags.None);
                if (n == 0 || !Parse(socket, connection, buffer, offset + n, out carry)) return;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            if (!Stopping) Interlocked.Increment(ref _closedByServer);
        }
    }

    /// <summary>Handles the whole frames in buffer[..length] and hands back the bytes of an unfinished one (copied);
    /// false on a close frame.</summary>
    private bool Parse(Socket socket, int connection, byte[] buffer, int length, out byte[]? unfinished)
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        var at = 0;
        unfinished = null;
        while (true)
        {
            // RFC 6455 section 5.2: FIN/opcode byte, then a 7-bit length, 126 + 16-bit or 127 + 64-bit (big-endian);
            // server frames are never masked
            var rest = length - at;
            if (rest < 2) break;
            var opcode = buffer[at] & 0x0f;
            var size = (long)(buffer[at + 1] & 0x7f);
            var header = 2;
            if (size == 126)
            {
                if (rest < 4) break;
                size = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(at + 2, 2));
                header = 4;
            }
            else if (size == 127)
            {
                if (rest < 10) break;
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(at + 2, 8));
                header = 10;
            }

            if (rest < header + size) break;
            var payload = buffer.AsSpan(at + header, (int)size);
            at += header + (int)size;
            if (opcode == 8) return false;
            if (payload.StartsWith("{\"type\":\"ping\""u8))
            {
                socket.Send(Pong);
                continue;
            }

            onFrame(connection, payload, now);
        }

        if (at != length) unfinished = buffer[at..length];
        return true;
    }
}
