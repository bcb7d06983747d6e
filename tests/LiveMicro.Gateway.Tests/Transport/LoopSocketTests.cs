using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LiveMicro.Gateway.Transport;

namespace LiveMicro.Gateway.Tests.Transport;

public sealed class LoopSocketTests
{
    [Fact]
    public async Task Connects_sends_and_receives_both_ways_and_sees_the_peer_close()
    {
        using var pair = await ConnectedPair.OpenAsync();
        var (socket, peer) = (pair.Socket, pair.Peer);

        await socket.SendAsync("hello"u8.ToArray());
        var received = new byte[16];
        Assert.Equal(5, await peer.ReceiveAsync(received));
        Assert.Equal("hello", Encoding.ASCII.GetString(received, 0, 5));

        // nothing has arrived: the receive waits for the loop's event
        var buffer = new byte[16];
        var receive = socket.ReceiveAsync(buffer);
        Assert.False(receive.IsCompleted);
        await peer.SendAsync("world!"u8.ToArray());
        Assert.Equal(6, await receive);
        Assert.Equal("world!", Encoding.ASCII.GetString(buffer, 0, 6));

        peer.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await socket.ReceiveAsync(buffer));
    }

    [Fact]
    public async Task Waiting_to_read_takes_no_buffer_and_ends_when_data_or_the_end_arrives()
    {
        using var pair = await ConnectedPair.OpenAsync();
        var (socket, peer) = (pair.Socket, pair.Peer);
        // a fresh socket may have data: the first wait completes at once and a read that finds nothing clears it
        await socket.WaitReadableAsync();
        var buffer = new byte[16];
        var receive = socket.ReceiveAsync(buffer);
        await peer.SendAsync("a"u8.ToArray());
        Assert.Equal(1, await receive);

        var waiting = socket.WaitReadableAsync();
        Assert.False(waiting.IsCompleted);
        await peer.SendAsync("bc"u8.ToArray());
        Assert.Equal(0, await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(2, await socket.ReceiveAsync(buffer));
        Assert.Equal("bc", Encoding.ASCII.GetString(buffer, 0, 2));

        waiting = socket.WaitReadableAsync();
        Assert.False(waiting.IsCompleted);
        peer.Shutdown(SocketShutdown.Send);
        await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, await socket.ReceiveAsync(buffer));
    }

    [Fact]
    public async Task Connects_from_the_loops_own_thread()
    {
        using var pair = await ConnectedPair.OpenAsync();
        var receive = pair.Socket.ReceiveAsync(new byte[16]);
        Assert.False(receive.IsCompleted);
        var connecting = ConnectAfterAsync(receive, pair.Listener.LocalEndpoint);

        await pair.Peer.SendAsync("x"u8.ToArray());
        var (second, thread) = await connecting.WaitAsync(TimeSpan.FromSeconds(10));
        using var _ = second;
        using var secondPeer = await pair.Listener.AcceptSocketAsync(CancellationToken.None);

        Assert.StartsWith("Socket loop", thread);
        await second.SendAsync("y"u8.ToArray());
        Assert.Equal(1, await secondPeer.ReceiveAsync(new byte[16]));
    }

    /// <summary>Connects from the continuation of <paramref name="receive"/>, which the loop runs on its own thread
    /// (no synchronization context taken along), as the gateway opens a destination's connection for a request.</summary>
    private static async Task<(LoopSocket Socket, string? Thread)> ConnectAfterAsync(ValueTask<int> receive, EndPoint endPoint)
    {
        await receive.ConfigureAwait(false);
        var thread = Thread.CurrentThread.Name;
        return (await LoopSocket.ConnectAsync(endPoint, CancellationToken.None).ConfigureAwait(false), thread);
    }

    [Fact]
    public async Task A_send_made_while_the_loop_runs_its_events_leaves_when_they_are_done()
    {
        using var pair = await ConnectedPair.OpenAsync();
        var receive = pair.Socket.ReceiveAsync(new byte[16]);
        var replying = ReplyAfterAsync(receive, pair.Socket);

        await pair.Peer.SendAsync("x"u8.ToArray());
        var sentAtOnce = await replying.WaitAsync(TimeSpan.FromSeconds(5));
        var buffer = new byte[16];
        var received = await pair.Peer.ReceiveAsync(buffer);

        Assert.False(sentAtOnce);
        Assert.Equal("reply", Encoding.ASCII.GetString(buffer, 0, received));
    }

    /// <summary>Replies from the continuation of <paramref name="receive"/>, on the loop's thread while it runs the
    /// event; whether the send had finished when it returned.</summary>
    private static async Task<bool> ReplyAfterAsync(ValueTask<int> receive, LoopSocket socket)
    {
        await receive.ConfigureAwait(false);
        var send = socket.SendAsync("reply"u8.ToArray());
        var sentAtOnce = send.IsCompleted;
        await send.ConfigureAwait(false);
        return sentAtOnce;
    }

    [Fact]
    public async Task A_large_gathered_send_waits_for_room_and_arrives_whole_and_in_order()
    {
        using var pair = await ConnectedPair.OpenAsync();
        var (socket, peer) = (pair.Socket, pair.Peer);
        // 300 segments of 40 KB, far more than the socket buffers hold: the send must wait for the peer
        var segments = Enumerable.Range(0, 300).Select(i => Enumerable.Range(0, 40_000).Select(j => (byte)(i * 7 + j)).ToArray()).ToList();
        var sending = socket.SendAsync(Sequence(segments)).AsTask();

        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (received.Length < 300 * 40_000)
        {
            var count = await peer.ReceiveAsync(buffer);
            Assert.NotEqual(0, count);
            received.Write(buffer, 0, count);
        }

        await sending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(segments.SelectMany(s => s).ToArray(), received.ToArray());
    }

    [Fact]
    public async Task A_cancelled_receive_ends_and_the_socket_still_receives()
    {
        using var pair = await ConnectedPair.OpenAsync();
        var (socket, peer) = (pair.Socket, pair.Peer);
        var buffer = new byte[8];

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await socket.ReceiveAsync(buffer, cancel.Token));

        await peer.SendAsync("z"u8.ToArray());
        Assert.Equal(1, await socket.ReceiveAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Disposing_fails_a_waiting_receive()
    {
        using var pair = await ConnectedPair.OpenAsync();
        var socket = pair.Socket;

        var receive = socket.ReceiveAsync(new byte[8]).AsTask();
        socket.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => receive.WaitAsync(TimeSpan.FromSeconds(5)));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await socket.SendAsync("x"u8.ToArray()));
    }

    [Fact]
    public async Task A_refused_connect_is_a_socket_error()
    {
        var port = FreePort();
        var error = await Assert.ThrowsAsync<SocketException>(async () =>
            await LoopSocket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), CancellationToken.None));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [Fact]
    public async Task A_listener_accepts_with_both_addresses()
    {
        using var bound = Bound();
        using var listener = LoopSocket.ForListener(bound);
        var accepting = listener.AcceptAsync().AsTask();
        Assert.False(accepting.IsCompleted);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(bound.LocalEndPoint!);
        using var accepted = await accepting.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(client.LocalEndPoint, accepted.RemoteEndPoint);
        Assert.Equal(bound.LocalEndPoint, accepted.LocalEndPoint);
        await client.SendAsync("ping"u8.ToArray());
        var buffer = new byte[8];
        Assert.Equal(4, await accepted.ReceiveAsync(buffer));
    }

    [Fact]
    public async Task Accepted_connections_are_spread_over_the_loops()
    {
        using var bound = Bound();
        using var listener = LoopSocket.ForListener(bound);
        var clients = new List<Socket>();
        var accepted = new List<LoopSocket>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                // the accept waits first and takes no synchronization context, so it finishes on the listener's
                // loop, as Kestrel's accept loop does
                var accepting = await Task.Factory.StartNew(() => listener.AcceptAsync().AsTask(), CancellationToken.None,
                    TaskCreationOptions.None, TaskScheduler.Default);
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(client);
                await client.ConnectAsync(bound.LocalEndPoint!);
                accepted.Add(await accepting.WaitAsync(TimeSpan.FromSeconds(5)));
            }

            // one loop per core: on one core all share it; on more, the accepting loop keeps no connection to itself
            var loops = accepted.Select(socket => socket.Loop).Distinct().Count();
            Assert.Equal(Environment.ProcessorCount > 1, loops > 1);
        }
        finally
        {
            accepted.ForEach(socket => socket.Dispose());
            clients.ForEach(socket => socket.Dispose());
        }
    }

    /// <summary>A loop socket connected to a .NET socket, and the listener that accepted it.</summary>
    private sealed class ConnectedPair(TcpListener listener, LoopSocket socket, Socket peer) : IDisposable
    {
        public TcpListener Listener { get; } = listener;

        public LoopSocket Socket { get; } = socket;

        public Socket Peer { get; } = peer;

        public static async Task<ConnectedPair> OpenAsync()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var socket = await LoopSocket.ConnectAsync(listener.LocalEndpoint, CancellationToken.None);
            return new ConnectedPair(listener, socket, await listener.AcceptSocketAsync(CancellationToken.None));
        }

        public void Dispose()
        {
            Peer.Dispose();
            Socket.Dispose();
            Listener.Stop();
        }
    }

    /// <summary>A .NET socket listening on a free loopback port, for a loop socket to accept on.</summary>
    private static Socket Bound()
    {
        var bound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        bound.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        bound.Listen();
        return bound;
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static ReadOnlySequence<byte> Sequence(IReadOnlyList<byte[]> segments)
    {
        var first = new Segment(segments[0], 0);
        var last = first;
        foreach (var bytes in segments.Skip(1)) last = last.Append(bytes);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, long runningIndex)
        {
            Memory = bytes;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
