using System.Diagnostics;
using System.Net;

namespace LiveMicro.Bench.Chat;

/// <summary>A premium gift is pushed to every room: V guest viewers spread over R rooms, one signed-in sender sends
/// G premium gifts one after the other (each to another room), and each is timed from the request until the last
/// viewer has its frame. Checks that every viewer got every gift exactly once.</summary>
public static class PremiumGiftBench
{
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(30);

    /// <summary>interact=URL auth=URL rooms=1000 viewers=19500 gifts=5 pid=interact's pid server-cpu=0</summary>
    public static async Task<int> RunAsync(NamedArguments args)
    {
        var interact = args.Url("interact");
        var rooms = args.Number("rooms", 1000);
        var viewers = args.Number("viewers", 19_500);
        var gifts = args.Number("gifts", 5);
        var server = new ProcessUsage(args.Number("pid"));
        var serverCore = new CoreUsage(args.Number("server-cpu", 0));

        using var http = new HttpClient();
        var api = new LiveMicroApi(http, args.Url("auth"), interact);
        var sender = await api.SignUpAsync("premium_sender");
        var premium = (await api.GetGiftsAsync()).Where(g => g.Level == "premium").MinBy(g => g.Price)
                      ?? throw new InvalidOperationException("the catalogue has no premium gift");
        await api.TopUpAsync(sender, premium.Price * gifts, "premium-bench-coins");
        Console.WriteLine($"sender {sender.Username} (user {sender.UserId}) has {premium.Price * gifts} coins for {gifts} x " +
                          $"'{premium.Name}' ({premium.Price} coins, {premium.Level})");

        var frames = new GiftFrames(viewers);
        var receiver = new FrameReceiver(frames.OnFrame);
        var sockets = new ViewerSockets(IPAddress.Parse(interact.Host), interact.Port, receiver);
        var freshRssKb = server.RssKb();
        var opening = Stopwatch.StartNew();
        await sockets.OpenAsync(viewers, i => $"/ws/chat/{i % rooms + 1}");
        var connected = viewers - sockets.Failed;
        while (frames.Welcomed < connected && opening.Elapsed < TimeSpan.FromSeconds(120)) await Task.Delay(100);
        Console.WriteLine($"{viewers} viewers in {rooms} rooms ({viewers / rooms} to {(viewers + rooms - 1) / rooms} each): open in " +
                          $"{opening.Elapsed.TotalSeconds:0.0} s, {frames.Welcomed} welcomed, {sockets.Failed} handshakes failed" +
                          (sockets.FirstError is null ? "" : $" (first: {sockets.FirstError})"));
        // the rooms' coalesced viewer counts settle, and the last welcomed are added to their rooms
        await Task.Delay(TimeSpan.FromSeconds(5));
        var idleRssKb = server.RssKb();
        Console.WriteLine($"interact RSS {idleRssKb / 1024.0:0} MiB with the viewers connected (fresh {freshRssKb / 1024.0:0} MiB), " +
                          $"{server.OpenFiles()} open files");

        var results = new List<GiftResult>();
        var cpuBefore = server.CpuSeconds();
        serverCore.Restart();
        var phase = Stopwatch.StartNew();
        for (var g = 0; g < gifts; g++)
        {
            var roomId = (long)g * rooms / gifts + 1;
            var giftCpuBefore = server.CpuSeconds();
            var answer = await api.SendGiftAsync(sender, roomId, premium.Id, 1, $"premium-bench-{g}");
            if (answer is not { Succeeded: true, TransactionId: { } transactionId })
            {
                Console.WriteLine($"gift {g + 1}: answered {answer.Status}, stopping");
                return 1;
            }

            var deliveries = frames.For(transactionId);
            var waiting = Stopwatch.StartNew();
            while (deliveries.Distinct < connected && waiting.Elapsed < DeliveryTimeout) await Task.Delay(1);
            var result = GiftResult.From(g + 1, roomId, answer, deliveries, connected, server.CpuSeconds() - giftCpuBefore);
            results.Add(result);
            Console.WriteLine(result);
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        var cpuPercent = (server.CpuSeconds() - cpuBefore) / phase.Elapsed.TotalSeconds * 100;
        var corePercent = serverCore.BusyPercent();
        // late duplicates would arrive now
        await Task.Delay(TimeSpan.FromSeconds(2));
        var duplicates = 0;
        var missing = 0;
        foreach (var result in results)
        {
            var deliveries = frames.For(result.TransactionId);
            for (var v = 0; v < viewers; v++)
            {
                if (!sockets.Connected[v]) continue;
                var count = deliveries.CountAt(v);
                if (count == 0) missing++;
                else if (count > 1) duplicates++;
            }
        }

        var expectedIds = results.Select(r => r.TransactionId).ToHashSet();
        var strangers = frames.ByTransaction.Keys.Count(id => !expectedIds.Contains(id));
        var exactlyOnce = missing == 0 && duplicates == 0 && strangers == 0 && frames.Unreadable == 0;
        var endRssKb = server.RssKb();
        Console.WriteLine($"interact over the gift phase ({phase.Elapsed.TotalSeconds:0.0} s, mostly idle between gifts): CPU " +
                          $"{cpuPercent:0.0} % of one core; server core busy {corePercent:0.0} %; RSS {endRssKb / 1024.0:0} MiB");
        Console.WriteLine($"viewers dropped by the server: {receiver.ClosedByServer}");
        Console.WriteLine($"{(exactlyOnce ? "PASS" : "FAIL")} every viewer got every gift exactly once: {missing} missing, " +
                          $"{duplicates} duplicated (viewer x gift), {strangers} frames of unknown gifts, {frames.Unreadable} unreadable");
        Console.WriteLine(BenchJson.Line(new
        {
            mode = "premium", rooms, viewers, connected, gifts = results, freshRssKb, idleRssKb, endRssKb, cpuPercent, corePercent,
            dropped = receiver.ClosedByServer, missing, duplicates, strangers, exactlyOnce,
        }));
        sockets.CloseAll();
        return exactlyOnce && receiver.ClosedByServer == 0 && sockets.Failed == 0 ? 0 : 1;
    }

    /// <param name="LastMs">From sending the request until the last viewer had the frame.</param>
    private sealed record GiftResult(int Gift, long RoomId, long TransactionId, int Status, double AnsweredMs, int Reached,
        int Viewers, double P50Ms, double P99Ms, double LastMs, double CpuMs)
    {
        public static GiftResult From(int gift, long roomId, GiftAnswer answer, GiftDeliveries deliveries, int viewers,
            double cpuSeconds)
        {
            var latencies = new List<double>(viewers);
            for (var v = 0; v < deliveries.Connections; v++)
            {
                if (deliveries.CountAt(v) > 0) latencies.Add(Stopwatch.GetElapsedTime(answer.SentAt, deliveries.FirstArrivalAt(v)).TotalMilliseconds);
            }

            latencies.Sort();
            double At(double p) => latencies.Count == 0 ? double.NaN : latencies[Math.Max(0, (int)Math.Ceiling(latencies.Count * p) - 1)];
            return new GiftResult(gift, roomId, answer.TransactionId!.Value, answer.Status,
                Stopwatch.GetElapsedTime(0, answer.ElapsedTicks).TotalMilliseconds, latencies.Count, viewers, At(0.50), At(0.99),
                At(1.0), cpuSeconds * 1000);
        }

        public override string ToString() =>
            $"gift {Gift} (room {RoomId}, transaction {TransactionId}): answered {Status} in {AnsweredMs:0.0} ms; reached " +
            $"{Reached}/{Viewers} viewers, p50 {P50Ms:0.0} ms, p99 {P99Ms:0.0} ms, last {LastMs:0.0} ms; interact CPU {CpuMs:0} ms";
    }
}
