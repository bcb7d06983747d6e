// Chat load generator, kept light so that it measures the server and not itself: raw sockets (no ClientWebSocket or
// HttpClient per connection), the WebSocket handshake written by hand, every connection waiting with a zero-byte
// receive (no buffer while idle), one 64 KB buffer per thread reused for whatever has arrived, frames parsed in place,
// the send timestamp found with one vectorised search. Run it with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1
// and pinned to one core (run.sh does): the socket engine's thread then does all receiving, no thread-pool hops.
//
// Usage: ChatBench <idle|fanout> <host> <port> <ws path> <send url> <connections> <messages/s> <seconds> <server pid> <label>
//   idle:   opens the connections in two halves and prints the server's RSS per connection (over the fresh process, and
//           the marginal cost of the second half), then closes them.
//   fanout: opens the connections, then sends R messages/s for S seconds into the room (interact: POST /internal/push
//           to room 1; node: POST /send), each carrying its Stopwatch timestamp; prints delivered messages/s, p50/p99
//           latency, and the server's CPU.
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

var mode = args[0];
var host = IPAddress.Parse(args[1]);
var port = int.Parse(args[2]);
var path = args[3];
var sendUrl = args[4];
var connections = int.Parse(args[5]);
var rate = int.Parse(args[6]);
var seconds = int.Parse(args[7]);
var serverPid = int.Parse(args[8]);
var label = args[9];

var sockets = new Socket[connections];
var bench = new Receiver();

(long CpuTicks, long RssKb) ServerUsage()
{
    var stat = File.ReadAllText($"/proc/{serverPid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    var cpu = long.Parse(fields[11]) + long.Parse(fields[12]);
    var rss = File.ReadAllLines($"/proc/{serverPid}/status").First(l => l.StartsWith("VmRSS:"));
    return (cpu, long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
}

async Task OpenAsync(int from, int to)
{
    for (var i = from; i < to; i += 250)
    {
        await Task.WhenAll(Enumerable.Range(i, Math.Min(250, to - i)).Select(async j =>
        {
            sockets[j] = await Handshake.ConnectAsync(host, port, path, j);
            _ = bench.ReceiveLoopAsync(sockets[j], Handshake.Leftover(sockets[j]));
        }));
    }
}

var fresh = ServerUsage();
var started = Stopwatch.StartNew();
var half = connections / 2;
await OpenAsync(0, half);
await Task.Delay(TimeSpan.FromSeconds(5));
var atHalf = ServerUsage();
await OpenAsync(half, connections);
Console.WriteLine($"{label}: {connections} connections open in {started.Elapsed.TotalSeconds:0.0} s");
await Task.Delay(TimeSpan.FromSeconds(5)); // let the join broadcasts settle
var idle = ServerUsage();
var perConnection = (idle.RssKb - fresh.RssKb) * 1024.0 / connections;
var marginal = (idle.RssKb - atHalf.RssKb) * 1024.0 / (connections - half);
Console.WriteLine($"idle server RSS {idle.RssKb / 1024.0:0.0} MiB (fresh {fresh.RssKb / 1024.0:0.0} MiB): " +
                  $"{perConnection:0} bytes per connection over the fresh process, {marginal:0} bytes per connection " +
                  $"from {half} to {connections}");

if (mode == "idle")
{
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        label, mode, connections, freshRssKb = fresh.RssKb, idleRssKb = idle.RssKb, idleBytesPerConnection = perConnection,
        marginalBytesPerConnection = marginal,
    }));
    foreach (var socket in sockets) socket.Close(0);
    return;
}

using var http = new HttpClient();
bench.Measuring = true;
var cpuStart = ServerUsage().CpuTicks;
var clock = Stopwatch.StartNew();
var sent = 0;
var interval = TimeSpan.FromSeconds(1.0 / rate);
var posts = new List<Task>();
async Task PostAsync(HttpContent body)
{
    using var response = await http.PostAsync(sendUrl, body);
    response.EnsureSuccessStatusCode();
}

// on schedule, not one after the other: a server that answers the send only once it has broadcast it (both do)
// must not slow the sender down, or the rate would measure the sender
while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
{
    var due = interval * sent;
    if (clock.Elapsed < due) await Task.Delay(due - clock.Elapsed);
    var t = Stopwatch.GetTimestamp();
    posts.Add(PostAsync(label == "node"
        ? JsonContent.Create(new { type = "danmaku", data = new { text = "bench", t } })
        : JsonContent.Create(new { roomId = 1, topic = "bench", payload = new { t } })));
    sent++;
}

await Task.WhenAll(posts);
var sendSeconds = clock.Elapsed.TotalSeconds;
var expected = (long)sent * connections;
var drain = Stopwatch.StartNew();
while (Interlocked.Read(ref bench.Delivered) < expected && drain.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
var cpuSeconds = (ServerUsage().CpuTicks - cpuStart) / 100.0;
var elapsed = clock.Elapsed.TotalSeconds;
bench.Measuring = false;
var delivered = Interlocked.Read(ref bench.Delivered);

Console.WriteLine($"sent {sent} messages in {sendSeconds:0.0} s (target {rate}/s for {seconds} s) to {connections} connections: " +
                  $"delivered {delivered} of {expected} ({100.0 * delivered / expected:0.00} %), {delivered / elapsed:0} deliveries/s " +
                  $"(all delivered {elapsed:0.0} s after the first send)");
Console.WriteLine($"latency p50 {bench.Percentile(0.50):0.0} ms, p99 {bench.Percentile(0.99):0.0} ms, max {bench.Percentile(1.0):0.0} ms");
Console.WriteLine($"server CPU {cpuSeconds / elapsed * 100:0} % of one core");
Console.WriteLine(JsonSerializer.Serialize(new
{
    label, mode, connections, rate, seconds, sent, delivered, expected, deliveriesPerSecond = delivered / elapsed,
    p50Ms = bench.Percentile(0.50), p99Ms = bench.Percentile(0.99), maxMs = bench.Percentile(1.0),
    cpuPercent = cpuSeconds / elapsed * 100, idleBytesPerConnection = perConnection, marginalBytesPerConnection = marginal,
}));
foreach (var socket in sockets) socket.Close(0);

internal static class Handshake
{
    private static readonly Dictionary<Socket, byte[]> Leftovers = new();

    public static async Task<Socket> ConnectAsync(IPAddress host, int port, string path, int index)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
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

        if (length > end + 4)
        {
            lock (Leftovers) Leftovers[socket] = buffer[(end + 4)..length];
        }

        return socket;
    }

    public static byte[]? Leftover(Socket socket)
    {
        lock (Leftovers) return Leftovers.Remove(socket, out var bytes) ? bytes : null;
    }
}

internal sealed class Receiver
{
    // a masked (key 0) text frame {"type":"pong"}: any frame answers the server's ping
    private static readonly byte[] Pong = [0x81, 0x80 | 15, 0, 0, 0, 0, .. "{\"type\":\"pong\"}"u8];

    [ThreadStatic] private static byte[]? t_buffer;

    private readonly long[] _buckets = new long[100_001]; // 0.1 ms each; the last is "10 s or more"
    private static readonly bool Debug = Environment.GetEnvironmentVariable("CHATBENCH_DEBUG") == "1";
    private int _shown;
    public long Delivered;
    public volatile bool Measuring;

    public async Task ReceiveLoopAsync(Socket socket, byte[]? carry)
    {
        try
        {
            if (carry is not null) carry = Parse(socket, carry, carry.Length);
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
                if (n == 0) return;
                carry = Parse(socket, buffer, offset + n);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Handles the whole frames in buffer[..length]; answers the bytes of an unfinished one (copied).</summary>
    private byte[]? Parse(Socket socket, byte[] buffer, int length)
    {
        var now = Stopwatch.GetTimestamp();
        var at = 0;
        while (true)
        {
            var rest = length - at;
            if (rest < 2) break;
            var opcode = buffer[at] & 0x0f;
            var size = (long)(buffer[at + 1] & 0x7f);
            var header = 2;
            if (size == 126)
            {
                if (rest < 4) break;
                size = (buffer[at + 2] << 8) | buffer[at + 3];
                header = 4;
            }
            else if (size == 127)
            {
                if (rest < 10) break;
                size = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(at + 2, 8));
                header = 10;
            }

            if (rest < header + size) break;
            var payload = buffer.AsSpan(at + header, (int)size);
            at += header + (int)size;
            if (opcode == 8) return null; // close
            if (payload.StartsWith("{\"type\":\"ping\""u8))
            {
                socket.Send(Pong);
                continue;
            }

            if (Debug && Measuring && Interlocked.Increment(ref _shown) <= 3) Console.Error.WriteLine(Encoding.UTF8.GetString(payload));
            if (Measuring && Timestamp(payload) is { } sentAt)
            {
                var tenths = (now - sentAt) * 10_000 / Stopwatch.Frequency;
                Interlocked.Increment(ref _buckets[Math.Clamp(tenths, 0, _buckets.Length - 1)]);
                Interlocked.Increment(ref Delivered);
            }
        }

        return at == length ? null : buffer[at..length];
    }

    /// <summary>The value of "t" (the sender's timestamp). The frames are small and of one shape, so one
    /// vectorised search and a few digits are the whole parse.</summary>
    private static long? Timestamp(ReadOnlySpan<byte> payload)
    {
        var at = payload.IndexOf("\"t\":"u8);
        if (at < 0) return null;
        long value = 0;
        var digits = 0;
        for (var i = at + 4; i < payload.Length && (uint)(payload[i] - '0') <= 9; i++, digits++) value = value * 10 + (payload[i] - '0');
        return digits == 0 ? null : value;
    }

    public double Percentile(double p)
    {
        var target = (long)Math.Ceiling(Interlocked.Read(ref Delivered) * p);
        long seen = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            seen += _buckets[i];
            if (seen >= target && seen > 0) return i / 10.0;
        }

        return (_buckets.Length - 1) / 10.0;
    }
}
