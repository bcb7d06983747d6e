using System.Buffers.Binary;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace LiveMicro.Interact.Tests;

/// <summary>The chat socket on the wire, with a raw TCP client: a handshake on a fresh connection is taken over
/// before HTTP (its answer is the chat's own, byte for byte); one on a kept-alive connection goes through HTTP and
/// works the same; refusals are HTTP problems either way.</summary>
[Collection(InteractCollection.Name)]
public sealed class ChatTransportTests(InteractFixture fixture)
{
    private const string RfcKey = "dGhlIHNhbXBsZSBub25jZQ==";

    [Fact]
    public async Task A_handshake_on_a_fresh_connection_is_answered_by_the_chat_itself_and_the_socket_speaks_rfc_6455()
    {
        var roomId = await fixture.CreateRoomAsync(await fixture.NewUserAsync());
        await using var client = await RawClient.ConnectAsync(fixture.UrlA);

        await client.SendAsync(Handshake(roomId, "Sec-WebSocket-Protocol: livemicro.json\r\n"));
        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: livemicro.json\r\n\r\n",
            await client.ReadHeadAsync());

        var (opcode, welcome, _) = await client.ReadFrameAsync();
        Assert.Equal(0x1, opcode);
        Assert.Equal("welcome", JsonNode.Parse(welcome)!["type"]!.GetValue<string>());
        Assert.Equal("history", JsonNode.Parse((await client.ReadFrameAsync()).Payload)!["type"]!.GetValue<string>());

        // a request split over two fragments, with a ping between them
        var request = """{"type":"userlist","seq":41}"""u8.ToArray();
        await client.SendFrameAsync(0x1, request[..10], fin: false);
        await client.SendFrameAsync(0x9, "hi"u8.ToArray());
        await client.SendFrameAsync(0x0, request[10..]);
        (int Opcode, string Payload, byte[] Bytes) pong;
        do pong = await client.ReadFrameAsync();
        while (pong.Opcode == 0x1); // the server's heartbeat or a push to the room may come first
        Assert.Equal((0xA, "hi"), (pong.Opcode, pong.Payload));
        JsonNode reply;
        do reply = JsonNode.Parse((await client.ReadFrameAsync()).Payload)!;
        while (reply["seq"] is null); // pushes to the room may come first
        Assert.Equal(41, reply["seq"]!.GetValue<long>());
        Assert.Equal("userlist", reply["type"]!.GetValue<string>());

        // the close handshake: our close, the server's close with the normal code, then the end of the connection
        await client.SendFrameAsync(0x8, [0x03, 0xE8]);
        (int Opcode, string Payload, byte[] Bytes) close;
        do close = await client.ReadFrameAsync();
        while (close.Opcode == 0x1); // what was already on its way still arrives
        Assert.Equal(0x8, close.Opcode);
        Assert.Equal(1000, BinaryPrimitives.ReadUInt16BigEndian(close.Bytes));
        Assert.Equal(0, await client.ReadToEndAsync());
    }

    [Fact]
    public async Task A_handshake_on_a_kept_alive_connection_is_upgraded_through_http_and_works_the_same()
    {
        var roomId = await fixture.CreateRoomAsync(await fixture.NewUserAsync());
        await using var client = await RawClient.ConnectAsync(fixture.UrlA);

        await client.SendAsync("HEAD /health/live HTTP/1.1\r\nHost: interact\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", await client.ReadHeadAsync());

        await client.SendAsync(Handshake(roomId));
        var head = await client.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 101", head);
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", head);
        Assert.Contains("Date: ", head); // written by Kestrel: this one went through HTTP
        Assert.Equal("welcome", JsonNode.Parse((await client.ReadFrameAsync()).Payload)!["type"]!.GetValue<string>());

        await client.SendFrameAsync(0x1, """{"type":"userlist","seq":7}"""u8.ToArray());
        JsonNode reply;
        do reply = JsonNode.Parse((await client.ReadFrameAsync()).Payload)!;
        while (reply["seq"] is null);
        Assert.Equal(7, reply["seq"]!.GetValue<long>());

        // a frame from the client that is not masked breaks the protocol: close 1002
        await client.SendAsync(new byte[] { 0x81, 0x02, 0x7B, 0x7D });
        (int Opcode, string Payload, byte[] Bytes) frame;
        do frame = await client.ReadFrameAsync();
        while (frame.Opcode != 0x8);
        Assert.Equal(1002, BinaryPrimitives.ReadUInt16BigEndian(frame.Bytes));
    }

    [Fact]
    public async Task Refused_handshakes_on_fresh_connections_get_http_problems()
    {
        await using (var client = await RawClient.ConnectAsync(fixture.UrlA))
        {
            await client.SendAsync(Handshake(987_654_321));
            var head = await client.ReadHeadAsync();
            Assert.StartsWith("HTTP/1.1 404", head);
            Assert.Contains("Content-Type: application/problem+json", head);
        }

        var roomId = await fixture.CreateRoomAsync(await fixture.NewUserAsync());
        await using (var client = await RawClient.ConnectAsync(fixture.UrlA))
        {
            await client.SendAsync(Handshake(roomId).Replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"));
            var head = await client.ReadHeadAsync();
            Assert.StartsWith("HTTP/1.1 426", head);
            Assert.Contains("Sec-WebSocket-Version: 13", head);
        }

        await using (var client = await RawClient.ConnectAsync(fixture.UrlA))
        {
            await client.SendAsync(Handshake(roomId, "Sec-WebSocket-Protocol: mqtt\r\n"));
            Assert.StartsWith("HTTP/1.1 400", await client.ReadHeadAsync());
        }
    }

    [Fact]
    public async Task A_burst_of_room_messages_arrives_complete_and_in_order_on_both_protocols()
    {
        var roomId = await fixture.CreateRoomAsync(await fixture.NewUserAsync());
        await using var json = await RawClient.ConnectAsync(fixture.UrlA);
        await json.SendAsync(Handshake(roomId));
        await json.ReadHeadAsync();
        await using var protobuf = await RawClient.ConnectAsync(fixture.UrlA);
        await protobuf.SendAsync(Handshake(roomId, "Sec-WebSocket-Protocol: livemicro.proto\r\n"));
        await protobuf.ReadHeadAsync();
        await json.ReadFrameAsync(); // welcome
        await protobuf.ReadFrameAsync();

        // concurrent pushes: the room's broadcaster batches whatever piles up while it writes
        const int count = 300;
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (n, token) =>
            Assert.Equal(System.Net.HttpStatusCode.OK,
                (await fixture.Interact.PostAsJsonAsync("/internal/push", new { roomId, topic = "burst", payload = new { n } }, token)).StatusCode));

        var seen = new HashSet<long>();
        while (seen.Count < count)
        {
            var frame = await json.ReadFrameAsync();
            var message = JsonNode.Parse(frame.Payload)!;
            if (message["type"]!.GetValue<string>() == "push" && message["data"]!["topic"]!.GetValue<string>() == "burst")
                Assert.True(seen.Add(message["data"]!["payload"]!["n"]!.GetValue<long>()), "each message once");
        }

        var binaryFrames = 0;
        while (binaryFrames < count + 1) // history, then the pushes (nothing else goes to a guest alone in a room)
        {
            var frame = await protobuf.ReadFrameAsync();
            Assert.Equal(0x2, frame.Opcode);
            binaryFrames++;
        }
    }

    private static string Handshake(long roomId, string extraHeaders = "") =>
        $"GET /ws/chat/{roomId} HTTP/1.1\r\nHost: interact\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        $"Sec-WebSocket-Key: {RfcKey}\r\nSec-WebSocket-Version: 13\r\n{extraHeaders}\r\n";

    /// <summary>A WebSocket client written out by hand, so the test sees exactly what the server writes.</summary>
    private sealed class RawClient : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly byte[] _buffer = new byte[1 << 16];
        private int _start;
        private int _end;

        private RawClient(Socket socket) => _socket = socket;

        public static async Task<RawClient> ConnectAsync(Uri server)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(server.Host, server.Port);
            return new RawClient(socket);
        }

        public Task SendAsync(string text) => SendAsync(Encoding.ASCII.GetBytes(text));

        public async Task SendAsync(byte[] bytes) => await _socket.SendAsync(bytes);

        public Task SendFrameAsync(int opcode, byte[] payload, bool fin = true)
        {
            byte[] mask = [0xA1, 0xB2, 0xC3, 0xD4];
            byte[] header = payload.Length <= 125
                ? [(byte)((fin ? 0x80 : 0) | opcode), (byte)(0x80 | payload.Length)]
                : [(byte)((fin ? 0x80 : 0) | opcode), 0x80 | 126, (byte)(payload.Length >> 8), (byte)payload.Length];
            return SendAsync([.. header, .. mask, .. payload.Select((b, i) => (byte)(b ^ mask[i & 3]))]);
        }

        public async Task<string> ReadHeadAsync()
        {
            while (true)
            {
                var end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
                if (end >= 0)
                {
                    var head = Encoding.ASCII.GetString(_buffer, _start, end + 4);
                    _start += end + 4;
                    return head;
                }

                await FillAsync();
            }
        }

        public async Task<(int Opcode, string Payload, byte[] Bytes)> ReadFrameAsync()
        {
            while (true)
            {
                var available = _buffer.AsSpan(_start, _end - _start);
                if (available.Length >= 2)
                {
                    Assert.Equal(0, available[1] & 0x80); // server frames are never masked
                    var (length, header) = (available[1] & 0x7F) switch
                    {
                        126 when available.Length >= 4 => (BinaryPrimitives.ReadUInt16BigEndian(available[2..]), 4),
                        126 => (-1, 0),
                        127 => throw new InvalidOperationException("unexpectedly large frame"),
                        var small => (small, 2),
                    };
                    if (length >= 0 && available.Length >= header + length)
                    {
                        Assert.Equal(0x80, available[0] & 0xF0); // final, no reserved bits
                        var bytes = available.Slice(header, length).ToArray();
                        _start += header + length;
                        return (available[0] & 0x0F, Encoding.UTF8.GetString(bytes), bytes);
                    }
                }

                await FillAsync();
            }
        }

        /// <summary>Reads until the server closes the connection; answers how many bytes came first.</summary>
        public async Task<int> ReadToEndAsync()
        {
            var extra = _end - _start;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            int read;
            while ((read = await _socket.ReceiveAsync(_buffer, timeout.Token)) > 0) extra += read;
            return extra;
        }

        private async Task FillAsync()
        {
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                (_start, _end) = (0, _end - _start);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), timeout.Token);
            if (read == 0) throw new EndOfStreamException("the server closed the connection");
            _end += read;
        }

        public ValueTask DisposeAsync()
        {
            _socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
