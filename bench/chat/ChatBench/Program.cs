// Danmaku fan-out load: N chat connections in one room, spread over 127.0.0.x source addresses; a sender pushes R
// messages per second into the room, each carrying its send timestamp; every connection records the delivery latency.
// Prints delivered messages/s, p50/p99 latency, and the server's CPU and RSS per connection (from /proc/<pid>).
// Usage: ChatBench <ws base, e.g. ws://127.0.0.1:5004> <send url, e.g. http://127.0.0.1:5004/internal/push>
//        <room id> <connections> <messages/s> <seconds> <server pid> [json|node]
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

var wsBase = args[0];
var sendUrl = args[1];
var roomId = long.Parse(args[2]);
var connections = int.Parse(args[3]);
var rate = int.Parse(args[4]);
var seconds = int.Parse(args[5]);
var serverPid = int.Parse(args[6]);
var peer = args.Length > 7 ? args[7] : "interact";

var latencyBuckets = new long[100_001]; // 0.1 ms each, the last one is "10 s or more"
long delivered = 0;
var measuring = false;

async Task<ClientWebSocket> ConnectAsync(int index)
{
    var local = new IPAddress(new byte[] { 127, 0, (byte)(index / 250 % 250), (byte)(2 + index % 250) });
    var handler = new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.Bind(new IPEndPoint(local, 0));
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
    };
    var client = new ClientWebSocket();
    client.Options.KeepAliveInterval = TimeSpan.Zero;
    var path = peer == "node" ? "/" : $"/ws/chat/{roomId}";
    await client.ConnectAsync(new Uri(wsBase + path), new HttpMessageInvoker(handler), CancellationToken.None);
    return client;
}

async Task ReceiveAsync(ClientWebSocket socket)
{
    var buffer = new byte[8192];
    var pong = Encoding.UTF8.GetBytes("""{"type":"pong"}""");
    try
    {
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close) return;
            var now = Stopwatch.GetTimestamp();
            var text = buffer.AsSpan(0, result.Count);
            if (text.IndexOf("\"ping\""u8) >= 0)
            {
                await socket.SendAsync(pong, WebSocketMessageType.Text, true, CancellationToken.None);
                continue;
            }

            var at = text.IndexOf("\"t\":"u8);
            if (at < 0 || !measuring) continue;
            var digits = text[(at + 4)..];
            var end = digits.IndexOfAny((byte)'}', (byte)',');
            var sent = long.Parse(Encoding.ASCII.GetString(digits[..end]));
            var tenths = (long)((now - sent) * 10_000.0 / Stopwatch.Frequency);
            Interlocked.Increment(ref latencyBuckets[Math.Clamp(tenths, 0, latencyBuckets.Length - 1)]);
            Interlocked.Increment(ref delivered);
        }
    }
    catch (WebSocketException)
    {
    }
}

(long CpuTicks, long RssKb) ServerUsage()
{
    var stat = File.ReadAllText($"/proc/{serverPid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    var cpu = long.Parse(fields[11]) + long.Parse(fields[12]);
    var rss = File.ReadAllLines($"/proc/{serverPid}/status").First(l => l.StartsWith("VmRSS:"));
    return (cpu, long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
}

GC.Collect();
var before = ServerUsage();
var sockets = new ClientWebSocket[connections];
var started = Stopwatch.StartNew();
for (var i = 0; i < connections; i += 200)
{
    var batch = Enumerable.Range(i, Math.Min(200, connections - i)).Select(async j => sockets[j] = await ConnectAsync(j));
    await Task.WhenAll(batch);
}

var receivers = sockets.Select(s => Task.Run(() => ReceiveAsync(s))).ToArray();
Console.WriteLine($"{peer}: {connections} connections open in {started.Elapsed.TotalSeconds:0.0} s");
await Task.Delay(TimeSpan.FromSeconds(5)); // let the join broadcasts settle
var idle = ServerUsage();
Console.WriteLine($"idle server RSS: {idle.RssKb / 1024.0:0.0} MiB, {(idle.RssKb - before.RssKb) * 1024.0 / connections:0} bytes per connection over the empty process");

using var http = new HttpClient();
measuring = true;
var cpuStart = ServerUsage().CpuTicks;
var clock = Stopwatch.StartNew();
var sentMessages = 0;
var interval = TimeSpan.FromSeconds(1.0 / rate);
while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
{
    var due = interval * sentMessages;
    if (clock.Elapsed < due) await Task.Delay(due - clock.Elapsed);
    var t = Stopwatch.GetTimestamp();
    var body = peer == "node"
        ? JsonContent.Create(new { type = "danmaku", data = new { text = "bench", t } })
        : JsonContent.Create(new { roomId, topic = "bench", payload = new { t } });
    using var response = await http.PostAsync(sendUrl, body);
    response.EnsureSuccessStatusCode();
    sentMessages++;
}

await Task.Delay(TimeSpan.FromSeconds(2)); // the last messages in flight
var elapsed = clock.Elapsed.TotalSeconds - 2;
var cpuSeconds = (ServerUsage().CpuTicks - cpuStart) / 100.0;
var busy = ServerUsage();
measuring = false;

long Percentile(double p)
{
    var target = (long)Math.Ceiling(delivered * p);
    long seen = 0;
    for (var i = 0; i < latencyBuckets.Length; i++)
    {
        seen += latencyBuckets[i];
        if (seen >= target) return i;
    }

    return latencyBuckets.Length - 1;
}

var expected = (long)sentMessages * connections;
Console.WriteLine($"sent {sentMessages} messages ({rate}/s for {seconds} s) to {connections} connections: " +
                  $"delivered {delivered} of {expected} ({100.0 * delivered / expected:0.00} %), {delivered / elapsed:0} deliveries/s");
Console.WriteLine($"latency p50 {Percentile(0.50) / 10.0:0.0} ms, p99 {Percentile(0.99) / 10.0:0.0} ms, max bucket {Percentile(1.0) / 10.0:0.0} ms");
Console.WriteLine($"server CPU {cpuSeconds / elapsed * 100:0} % of one core; RSS {busy.RssKb / 1024.0:0.0} MiB under load");
Console.WriteLine(JsonSerializer.Serialize(new
{
    peer, connections, rate, seconds, delivered, expected, deliveriesPerSecond = delivered / elapsed,
    p50Ms = Percentile(0.50) / 10.0, p99Ms = Percentile(0.99) / 10.0, cpuPercent = cpuSeconds / elapsed * 100,
    idleBytesPerConnection = (idle.RssKb - before.RssKb) * 1024.0 / connections,
}));
foreach (var socket in sockets) socket.Abort();
