using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using LiveMicro.Interact.Chat.WebSockets;

namespace LiveMicro.Interact.Tests;

/// <summary>The chat's own RFC 6455 server side, against the RFC's examples (§1.3, §5.7) and mangled input.</summary>
public sealed class WebSocketProtocolTests
{
    // §5.7: a single-frame masked text message "Hello"
    private static readonly byte[] MaskedHello = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];

    // §5.7: a masked pong "Hello"
    private static readonly byte[] MaskedPong = [0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];

    [Fact]
    public void The_accept_key_is_the_rfc_example()
    {
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketProtocol.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="));
        Assert.True(WebSocketProtocol.IsValidKey("dGhlIHNhbXBsZSBub25jZQ=="));
        Assert.False(WebSocketProtocol.IsValidKey("dGhlIHNhbXBsZSBub25jZQ"));
        Assert.False(WebSocketProtocol.IsValidKey("not base64 at all!!!!!=="));
        Assert.False(WebSocketProtocol.IsValidKey(null));
    }

    [Fact]
    public void The_switching_protocols_answer_is_exact()
    {
        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: livemicro.proto\r\n\r\n",
            Encoding.ASCII.GetString(WebSocketProtocol.SwitchingProtocolsResponse("dGhlIHNhbXBsZSBub25jZQ==", "livemicro.proto")));
    }

    [Fact]
    public void Server_frames_match_the_rfc_examples()
    {
        Assert.Equal([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f], WebSocketProtocol.Frame(WebSocketOpcode.Text, "Hello"u8));

        var frame256 = WebSocketProtocol.Frame(WebSocketOpcode.Binary, new byte[256]);
        Assert.Equal([0x82, 0x7E, 0x01, 0x00], frame256[..4]);
        Assert.Equal(4 + 256, frame256.Length);

        var frame64k = WebSocketProtocol.Frame(WebSocketOpcode.Binary, new byte[65536]);
        Assert.Equal([0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00], frame64k[..10]);
        Assert.Equal(10 + 65536, frame64k.Length);
    }

    [Fact]
    public void A_close_frame_carries_the_code_and_a_reason_cut_on_a_character_boundary()
    {
        Assert.Equal([0x88, 0x05, 0x03, 0xE8, 0x62, 0x79, 0x65], WebSocketProtocol.CloseFrame(WebSocketCloseStatus.NormalClosure, "bye"));

        // 62 two-byte characters would make 126 bytes with the code: the last one is left out whole
        var frame = WebSocketProtocol.CloseFrame(WebSocketCloseStatus.PolicyViolation, new string('é', 62));
        Assert.Equal(2 + 2 + 122, frame.Length);
        Assert.Equal(124, frame[1]);
        Assert.Equal(new string('é', 61), Encoding.UTF8.GetString(frame.AsSpan(4)));
    }

    [Fact]
    public void The_rfc_masked_hello_reads_as_a_final_text_frame_and_unmasks()
    {
        Assert.Equal(FrameHeaderStatus.Read, WebSocketFrameReader.TryReadHeader(new ReadOnlySequence<byte>(MaskedHello), out var header, out _));
        Assert.Equal(new ClientFrameHeader(true, WebSocketOpcode.Text, 5, 0x3d21fa37, 6), header);
        var payload = MaskedHello[6..];
        WebSocketFrameReader.Unmask(payload, header.Mask);
        Assert.Equal("Hello"u8.ToArray(), payload);

        // unmasking in pieces at any offset gives the same bytes
        for (var split = 0; split <= 5; split++)
        {
            var pieces = MaskedHello[6..];
            WebSocketFrameReader.Unmask(pieces.AsSpan(0, split), header.Mask);
            WebSocketFrameReader.Unmask(pieces.AsSpan(split), header.Mask, split);
            Assert.Equal("Hello"u8.ToArray(), pieces);
        }
    }

    [Fact]
    public async Task A_message_split_at_every_offset_is_received_once_whole()
    {
        var stream = MaskedHello.Concat(MaskedPong).Concat(Masked(WebSocketOpcode.Close, [0x03, 0xE8, .. "bye"u8])).ToArray();
        for (var split = 0; split <= stream.Length; split++)
        {
            var (socket, pipe, _) = NewSocket();
            await pipe.Writer.WriteAsync(stream.AsMemory(0, split));
            var writing = Task.Run(async () =>
            {
                await Task.Delay(1);
                await pipe.Writer.WriteAsync(stream.AsMemory(split));
            });

            var hello = await socket.ReceiveAsync(100);
            Assert.Equal(ReceivedKind.Message, hello.Kind);
            Assert.Equal(WebSocketMessageType.Text, hello.MessageType);
            Assert.Equal("Hello", Encoding.UTF8.GetString(hello.Payload.Span));
            Assert.Equal(ReceivedKind.Pong, (await socket.ReceiveAsync(100)).Kind);
            var close = await socket.ReceiveAsync(100);
            Assert.Equal((ReceivedKind.Close, WebSocketCloseStatus.NormalClosure, "bye"), (close.Kind, close.Status, close.Reason));
            Assert.True(socket.CloseReceived);
            await writing;
        }
    }

    [Fact]
    public async Task A_fragmented_message_is_assembled_around_a_ping_and_the_ping_payload_is_kept()
    {
        var (socket, pipe, _) = NewSocket();
        await pipe.Writer.WriteAsync(Masked(WebSocketOpcode.Binary, [1, 2, 3], fin: false)
            .Concat(Masked(WebSocketOpcode.Ping, "are you there"u8.ToArray()))
            .Concat(Masked(WebSocketOpcode.Continuation, [4, 5], fin: false))
            .Concat(Masked(WebSocketOpcode.Continuation, [6], fin: true)).ToArray());

        var ping = await socket.ReceiveAsync(100);
        Assert.Equal(ReceivedKind.Ping, ping.Kind);
        Assert.Equal("are you there", Encoding.UTF8.GetString(ping.Payload.Span));
        var message = await socket.ReceiveAsync(100);
        Assert.Equal((ReceivedKind.Message, WebSocketMessageType.Binary), (message.Kind, message.MessageType));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, message.Payload.ToArray());
    }

    public static TheoryData<byte[], WebSocketCloseStatus> Violations => new()
    {
        { [0x81, 0x05, .. "Hello"u8], WebSocketCloseStatus.ProtocolError },                          // not masked
        { Masked(WebSocketOpcode.Text, "Hi"u8.ToArray(), rsv: 0x40), WebSocketCloseStatus.ProtocolError }, // RSV1 without an extension
        { Masked((WebSocketOpcode)0x3, [1]), WebSocketCloseStatus.ProtocolError },                    // reserved opcode
        { Masked(WebSocketOpcode.Ping, new byte[126]), WebSocketCloseStatus.ProtocolError },           // control frame over 125
        { Masked(WebSocketOpcode.Ping, [1], fin: false), WebSocketCloseStatus.ProtocolError },         // fragmented control frame
        { Masked(WebSocketOpcode.Continuation, [1]), WebSocketCloseStatus.ProtocolError },             // nothing to continue
        { [.. Masked(WebSocketOpcode.Text, [0x41], fin: false), .. Masked(WebSocketOpcode.Text, [0x42])], WebSocketCloseStatus.ProtocolError },
        { Masked(WebSocketOpcode.Close, [0x03]), WebSocketCloseStatus.ProtocolError },                 // a one-byte close payload
        { Masked(WebSocketOpcode.Close, [0x03, 0xE8, 0xFF, 0xFE]), WebSocketCloseStatus.InvalidPayloadData },
        { [0x81, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4], WebSocketCloseStatus.ProtocolError },  // a 64-bit length with its top bit set
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public async Task Protocol_violations_fail_with_the_right_close_code(byte[] input, WebSocketCloseStatus expected)
    {
        var (socket, pipe, _) = NewSocket();
        await pipe.Writer.WriteAsync(input);
        var received = await socket.ReceiveAsync(100);
        Assert.Equal(ReceivedKind.Failed, received.Kind);
        Assert.Equal(expected, received.Status);
        Assert.False(string.IsNullOrEmpty(received.Reason));
    }

    [Fact]
    public async Task A_message_over_the_limit_fails_with_1009_before_its_payload_arrives()
    {
        var (socket, pipe, _) = NewSocket();
        // only the header of a 1 MiB frame: the answer must not wait for the megabyte
        await pipe.Writer.WriteAsync(new byte[] { 0x82, 0xFF, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4 });
        var received = await socket.ReceiveAsync(4096).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal((ReceivedKind.Failed, WebSocketCloseStatus.MessageTooBig), (received.Kind, received.Status));

        // the same for a message whose fragments add up to too much
        (socket, pipe, _) = NewSocket();
        await pipe.Writer.WriteAsync(Masked(WebSocketOpcode.Text, new byte[60], fin: false).Concat(Masked(WebSocketOpcode.Continuation, new byte[60])).ToArray());
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, (await socket.ReceiveAsync(100)).Status);
    }

    [Fact]
    public async Task The_end_of_the_connection_is_reported_and_sends_go_to_the_output_in_order()
    {
        var (socket, pipe, output) = NewSocket();
        await socket.SendAsync(WebSocketProtocol.Frame(WebSocketOpcode.Text, "a"u8));
        Assert.True(socket.TrySendClose(WebSocketCloseStatus.NormalClosure, "", out var sent));
        await sent;
        Assert.False(socket.TrySendClose(WebSocketCloseStatus.NormalClosure, "again", out _));
        Assert.Equal(new byte[] { 0x81, 0x01, 0x61, 0x88, 0x02, 0x03, 0xE8 }, output.ToArray());

        await pipe.Writer.CompleteAsync();
        Assert.Equal(ReceivedKind.Ended, (await socket.ReceiveAsync(100)).Kind);
    }

    [Fact]
    public async Task Thousands_of_mangled_inputs_end_in_a_result_never_an_exception_or_a_hang()
    {
        var random = new Random(6455);
        var valid = new[]
        {
            MaskedHello, MaskedPong, Masked(WebSocketOpcode.Binary, new byte[300]), Masked(WebSocketOpcode.Close, [0x03, 0xE8, .. "bye"u8]),
            [.. Masked(WebSocketOpcode.Text, [0x41], fin: false), .. Masked(WebSocketOpcode.Continuation, [0x42])],
        };
        for (var round = 0; round < 5000; round++)
        {
            var input = valid[random.Next(valid.Length)].Concat(valid[random.Next(valid.Length)]).ToArray();
            for (var flips = random.Next(1, 4); flips > 0; flips--) input[random.Next(input.Length)] = (byte)random.Next(256);
            var (socket, pipe, _) = NewSocket();
            await pipe.Writer.WriteAsync(input);
            await pipe.Writer.CompleteAsync();
            for (var reads = 0; ; reads++)
            {
                Assert.True(reads < input.Length, "every receive consumes at least one frame");
                var received = await socket.ReceiveAsync(256).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
                if (received.Kind is ReceivedKind.Ended or ReceivedKind.Failed or ReceivedKind.Close) break;
            }
        }
    }

    [Fact]
    public void A_request_head_parses_and_odd_ones_are_left_alone()
    {
        var head = HttpRequestHead.TryParse("GET /ws/chat/7?access_token=abc HTTP/1.1\r\nHost: x\r\nUpgrade:  websocket \r\nConnection: keep-alive, Upgrade\r\n\r\n"u8);
        Assert.NotNull(head);
        Assert.Equal(("GET", "/ws/chat/7", "?access_token=abc"), (head.Method, head.Path, head.Query));
        Assert.Equal(new KeyValuePair<string, string>("Upgrade", "websocket"), head.Headers[1]);
        Assert.Equal(3, head.Headers.Count);

        Assert.Null(HttpRequestHead.TryParse("GET /ws/chat/7 HTTP/1.0\r\nHost: x\r\n\r\n"u8));       // another version
        Assert.Null(HttpRequestHead.TryParse("GET /ws/chat/7 HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n"u8)); // obsolete line folding
        Assert.Null(HttpRequestHead.TryParse("GET /ws/chat/7 HTTP/1.1\r\nHöst: x\r\n\r\n"u8));        // not ASCII
        Assert.Null(HttpRequestHead.TryParse("GET http://a/ws/chat/7 HTTP/1.1\r\nHost: x\r\n\r\n"u8)); // absolute form
        Assert.Null(HttpRequestHead.TryParse("GET /ws/chat/7 HTTP/1.1\r\nHost: x\r\n"u8));           // unfinished
    }

    private static (ServerWebSocket Socket, Pipe Input, MemoryStream Output) NewSocket()
    {
        var pipe = new Pipe();
        var output = new MemoryStream();
        return (new ServerWebSocket(pipe.Reader, new StreamOutput(output, () => { })), pipe, output);
    }

    /// <summary>A client frame with a fixed masking key (lengths up to 64 KiB).</summary>
    private static byte[] Masked(WebSocketOpcode opcode, byte[] payload, bool fin = true, byte rsv = 0)
    {
        byte[] mask = [0x11, 0x22, 0x33, 0x44];
        var header = new List<byte> { (byte)((fin ? 0x80 : 0) | rsv | (byte)opcode) };
        if (payload.Length <= 125) header.Add((byte)(0x80 | payload.Length));
        else header.AddRange([0x80 | 126, (byte)(payload.Length >> 8), (byte)payload.Length]);
        header.AddRange(mask);
        return [.. header, .. payload.Select((b, i) => (byte)(b ^ mask[i & 3]))];
    }
}
