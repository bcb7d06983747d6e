using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;

namespace LiveMicro.Bench.Chat;

/// <summary>The idle and fanout modes: N connections in one room; idle memory per connection, then (fanout) R
/// messages/s each carrying its send timestamp.</summary>
public static class FanoutBench
{
    private static readonly bool Debug = Environment.GetEnvironmentVariable("CHATBENCH_DEBUG") == "1";

    /// <summary>args: idle|fanout host port path sendUrl connections rate seconds serverPid label.</summary>
    public static async Task RunAsync(string[] args)
    {
        var mode = args[0];
        var host = IPAddress.Parse(args[1]);
        var port = int.Parse(args[2], CultureInfo.InvariantCulture);
        var path = args[3];
        var sendUrl = args[4];
        var connections = int.Parse(args[5], CultureInfo.InvariantCulture);
        var rate = int.Parse(args[6], CultureInfo.InvariantCulture);
        var seconds = int.Parse(args[7], CultureInfo.InvariantCulture);
        var server = new ProcessUsage(int.Parse(args[8], CultureInfo.InvariantCulture));
        var label = args[9];

        var sockets = new Socket[connections];
        var latencies = new LatencyHistogram();
        var measuring = false;
        var shown = 0;
        var receiver = new FrameReceiver((_, payload, receivedAt) =>
        {
            if (!Volatile.Read(ref measuring)) return;
            if (Debug && Interlocked.Increment(ref shown) <= 3) Console.Error.WriteLine(Encoding.UTF8.GetString(payload));
            if (Timestamp(payload) is { } sentAt) latencies.Record(receivedAt - sentAt);
        });

        async Task OpenAsync(int from, int to)
        {
            for (var i = from; i < to; i += 250)
            {
                await Task.WhenAll(Enumerable.Range(i, Math.Min(250, to - i)).Select(async j =>
                {
                    var (socket, leftover) = await WebSocketHandshake.ConnectAsync(host, port, path, j);
                    sockets[j] = socket;
                    _ = receiver.ReceiveLoopAsync(socket, j, leftover);
                }));
            }
        }

        var freshRssKb = server.RssKb();
        var started = Stopwatch.StartNew();
        var half = connections / 2;
        await OpenAsync(0, half);
        await Task.Delay(TimeSpan.FromSeconds(5));
        var atHalfRssKb = server.RssKb();
        await OpenAsync(half, connections);
        Console.WriteLine($"{label}: {connections} connections open in {started.Elapsed.TotalSeconds:0.0} s");
        await Task.Delay(TimeSpan.FromSeconds(5)); // let the join broadcasts settle
        var idleRssKb = server.RssKb();
        var perConnection = (idleRssKb - freshRssKb) * 1024.0 / connections;
        var marginal = (idleRssKb - atHalfRssKb) * 1024.0 / (connections - half);
        Console.WriteLine($"idle server RSS {idleRssKb / 1024.0:0.0} MiB (fresh {freshRssKb / 1024.0:0.0} MiB): " +
                          $"{perConnection:0} bytes per connection over the fresh process, {marginal:0} bytes per connection " +
                          $"from {half} to {connections}");

        if (mode == "idle")
        {
            Console.WriteLine(BenchJson.Line(new
            {
                label, mode, connections, freshRssKb, idleRssKb, idleBytesPerConnection = perConnection,
                marginalBytesPerConnection = marginal,
            }));
            receiver.Stopping = true;
            foreach (var socket in sockets) socket.Close(0);
            return;
        }

        using var http = new HttpClient();
        Volatile.Write(ref measuring, true);
        var cpuStart = server.CpuSeconds();
        var clock = Stopwatch.StartNew();
        var sent = 0;
        var interval = TimeSpan.FromSeconds(1.0 / rate);
        var posts = new List<Task>();
        async Task PostAsync(HttpContent body)
        {
            using var response = await http.PostAsync(new Uri(sendUrl), body);
            response.EnsureSuccessStatusCode();
        }

        // on schedule, not one after the other: a server that answers the send only once it has broadcast it (both
        // do) must not slow the sender down, or the rate would measure the sender
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
        while (latencies.Count < expected && drain.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
        var cpuSeconds = server.CpuSeconds() - cpuStart;
        var elapsed = clock.Elapsed.TotalSeconds;
        Volatile.Write(ref measuring, false);
        var delivered = latencies.Count;

        Console.WriteLine($"sent {sent} messages in {sendSeconds:0.0} s (target {rate}/s for {seconds} s) to {connections} connections: " +
                          $"delivered {delivered} of {expected} ({100.0 * delivered / expected:0.00} %), {delivered / elapsed:0} deliveries/s " +
                          $"(all delivered {elapsed:0.0} s after the first send)");
        Console.WriteLine($"latency p50 {latencies.Percentile(0.50):0.0} ms, p99 {latencies.Percentile(0.99):0.0} ms, " +
                          $"max {latencies.Percentile(1.0):0.0} ms");
        Console.WriteLine($"server CPU {cpuSeconds / elapsed * 100:0} % of one core");
        Console.WriteLine(BenchJson.Line(new
        {
            label, mode, connections, rate, seconds, sent, delivered, expected, deliveriesPerSecond = delivered / elapsed,
            p50Ms = latencies.Percentile(0.50), p99Ms = latencies.Percentile(0.99), maxMs = latencies.Percentile(1.0),
            cpuPercent = cpuSeconds / elapsed * 100, idleBytesPerConnection = perConnection, marginalBytesPerConnection = marginal,
        }));
        receiver.Stopping = true;
        foreach (var socket in sockets) socket.Close(0);
    }

    /// <summary>The value of "t" (the sender's timestamp). The frames are small and of one shape, so one
    /// vectorised search and a few digits are the whole parse.</summary>
    private static long? Timestamp(ReadOnlySpan<byte> payload) => JsonNumbers.Find(payload, "\"t\":"u8);
}

/// <summary>Reads one whole-number field out of a server frame without parsing the JSON: the frames are of known
/// shapes and the load generator must stay light.</summary>
public static class JsonNumbers
{
    /// <param name="property">The property's name in quotes with its colon, e.g. <c>"t":</c>.</param>
    public static long? Find(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> property)
    {
        var at = payload.IndexOf(property);
        if (at < 0) return null;
        long value = 0;
        var digits = 0;
        for (var i = at + property.Length; i < payload.Length && (uint)(payload[i] - '0') <= 9; i++, digits++)
        {
            value = value * 10 + (payload[i] - '0');
        }

        return digits == 0 ? null : value;
    }
}
