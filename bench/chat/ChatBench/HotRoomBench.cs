using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace LiveMicro.Bench.Chat;

/// <summary>Gifts into one hot room: S signed-in senders, each with its own wallet, send gifts as fast as they can
/// for a while, every request with its own idempotency key; some requests are sent twice at once and some again after
/// their answer (a client's retries), and some wallets run dry mid-run (409). Guest viewers in the room check that
/// each gift reaches each of them once. The answers are written to CSV files for run.sh's checks in PostgreSQL.</summary>
public static class HotRoomBench
{
    private const string Twin = "twin";
    private const string Retry = "retry";
    private const string First = "first";
    private const long RichCoins = 1_000_000;
    private const long PoorCoinsStep = 20;

    /// <summary>interact=URL auth=URL room=1 senders=64 poor=16 seconds=20 viewers=100 seed=1 pid=interact's pid
    /// server-cpu=0 answers=file top-ups=file</summary>
    public static async Task<int> RunAsync(NamedArguments args)
    {
        var interact = args.Url("interact");
        var roomId = args.Number("room", 1);
        var senderCount = args.Number("senders", 64);
        var poorCount = args.Number("poor", 16);
        var seconds = args.Number("seconds", 20);
        var viewerCount = args.Number("viewers", 100);
        var seed = args.Number("seed", 1);
        var server = new ProcessUsage(args.Number("pid"));
        var serverCore = new CoreUsage(args.Number("server-cpu", 0));

        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        var api = new LiveMicroApi(http, args.Url("auth"), interact);
        var catalogue = (await api.GetGiftsAsync()).Where(g => g.Level == "normal").OrderBy(g => g.Price).Take(2).ToArray();
        Console.WriteLine($"seed {seed}; gifts {string.Join(", ", catalogue.Select(g => $"'{g.Name}' ({g.Price} coins)"))} x 1-3");

        // signing up hashes passwords on the server core: a few at a time
        var senders = new SignedInUser[senderCount];
        using (var gate = new SemaphoreSlim(4))
        {
            await Task.WhenAll(Enumerable.Range(0, senderCount).Select(async s =>
            {
                await gate.WaitAsync();
                try
                {
                    senders[s] = await api.SignUpAsync($"hot_sender_{s:00}");
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        var topUps = new List<(long UserId, string Key, long Amount)>();
        var topUpReplaysAgree = true;
        for (var s = 0; s < senderCount; s++)
        {
            // the last `poor` senders get 20, 40, ... coins (a gift costs 11 on average): the first run dry after a
            // couple of gifts, the last late or not at all
            var coins = s < senderCount - poorCount ? RichCoins : PoorCoinsStep * (s - (senderCount - poorCount) + 1);
            await api.TopUpAsync(senders[s], coins / 2, "fund-a");
            var balance = await api.TopUpAsync(senders[s], coins - coins / 2, "fund-b");
            // a client retrying its top-up: the same key must not buy the coins twice
            topUpReplaysAgree &= await api.TopUpAsync(senders[s], coins - coins / 2, "fund-b") == balance;
            topUps.Add((senders[s].UserId, "fund-a", coins / 2));
            topUps.Add((senders[s].UserId, "fund-b", coins - coins / 2));
        }

        Console.WriteLine($"{senderCount} senders: {senderCount - poorCount} with {RichCoins} coins, {poorCount} with " +
                          $"{PoorCoinsStep} to {PoorCoinsStep * poorCount} coins (two top-ups each, the second sent twice)");

        var frames = new GiftFrames(viewerCount);
        var receiver = new FrameReceiver(frames.OnFrame);
        var viewers = new ViewerSockets(IPAddress.Parse(interact.Host), interact.Port, receiver);
        await viewers.OpenAsync(viewerCount, _ => $"/ws/chat/{roomId}");
        if (viewers.Failed > 0) throw new IOException($"{viewers.Failed} viewers could not connect; first: {viewers.FirstError}");
        var opening = Stopwatch.StartNew();
        while (frames.Welcomed < viewerCount && opening.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(100);
        await Task.Delay(TimeSpan.FromSeconds(2));

        var attempts = new List<(int Sender, string Key, string Kind, GiftAnswer Answer)>[senderCount];
        var duration = TimeSpan.FromSeconds(seconds);
        var cpuBefore = server.CpuSeconds();
        var ownCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        serverCore.Restart();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, senderCount).Select(s => Task.Run(async () =>
        {
            var mine = attempts[s] = [];
            var random = new Random(seed * 1000 + s);
            for (var i = 0; clock.Elapsed < duration; i++)
            {
                var gift = catalogue[random.Next(catalogue.Length)];
                var count = random.Next(1, 4);
                var key = $"hot-{s}-{i}";
                Task<GiftAnswer> SendAsync() => api.SendGiftAsync(senders[s], roomId, gift.Id, count, key);
                if (i % 10 == 3)
                {
                    // a retry sent before the first answer came back
                    var both = await Task.WhenAll(SendAsync(), SendAsync());
                    mine.Add((s, key, Twin, both[0]));
                    mine.Add((s, key, Twin, both[1]));
                    continue;
                }

                mine.Add((s, key, First, await SendAsync()));
                if (i % 10 == 7) mine.Add((s, key, Retry, await SendAsync()));
            }
        })));
        var sendSeconds = clock.Elapsed.TotalSeconds;
        var cpuPercent = (server.CpuSeconds() - cpuBefore) / sendSeconds * 100;
        var corePercent = serverCore.BusyPercent();
        var ownCpuPercent = (Process.GetCurrentProcess().TotalProcessorTime - ownCpuBefore).TotalSeconds / sendSeconds * 100;

        var all = attempts.SelectMany(a => a).ToList();
        var byKey = all.GroupBy(a => (a.Sender, a.Key)).ToList();
        var succeeded = byKey.Where(k => k.Any(a => a.Answer.Succeeded)).ToList();
        var conflicts = all.Count(a => a.Answer.Status == 409);
        var others = all.Where(a => !a.Answer.Succeeded && a.Answer.Status != 409).GroupBy(a => a.Answer.Status)
            .Select(g => $"{g.Key} x {g.Count()}").ToList();
        var fresh = new LatencyHistogram();
        var replayed = new LatencyHistogram();
        var refused = new LatencyHistogram();
        var every = new LatencyHistogram();
        foreach (var (_, _, _, answer) in all)
        {
            every.Record(answer.ElapsedTicks);
            if (answer.Status == 409) refused.Record(answer.ElapsedTicks);
            else if (answer is { Succeeded: true, Replayed: true }) replayed.Record(answer.ElapsedTicks);
            else if (answer.Succeeded) fresh.Record(answer.ElapsedTicks);
        }

        // idempotency as the client sees it: per key one new transaction at most, every replay names it, and a key
        // is either paid or refused, never both
        var keysWithTwoNew = byKey.Count(k => k.Count(a => a.Answer is { Succeeded: true, Replayed: false }) > 1);
        var keysWithTwoIds = byKey.Count(k => k.Where(a => a.Answer.Succeeded).Select(a => a.Answer.TransactionId).Distinct().Count() > 1);
        var keysPaidAndRefused = succeeded.Count(k => k.Any(a => !a.Answer.Succeeded));
        var replaysWithoutNew = succeeded.Count(k => !k.Any(a => a.Answer is { Succeeded: true, Replayed: false }));
        var retried = byKey.Count(k => k.Count() > 1);

        Console.WriteLine($"{all.Count} requests in {sendSeconds:0.0} s from {senderCount} senders ({retried} keys sent twice: " +
                          $"{byKey.Count(k => k.Any(a => a.Kind == Twin))} at once, {byKey.Count(k => k.Any(a => a.Kind == Retry))} after the answer)");
        Console.WriteLine($"gifts succeeded: {succeeded.Count} distinct keys, {succeeded.Count / sendSeconds:0.0} gifts/s; " +
                          $"201 new {fresh.Count}, 201 replayed {replayed.Count}, 409 {conflicts} " +
                          $"({byKey.Count(k => k.All(a => a.Answer.Status == 409))} keys), other {(others.Count == 0 ? "none" : string.Join(", ", others))}");
        Console.WriteLine($"request latency: all p50 {every.Percentile(0.5):0.0} ms p99 {every.Percentile(0.99):0.0} ms; " +
                          $"201 new p50 {fresh.Percentile(0.5):0.0} ms p99 {fresh.Percentile(0.99):0.0} ms; " +
                          $"409 p50 {refused.Percentile(0.5):0.0} ms p99 {refused.Percentile(0.99):0.0} ms");
        Console.WriteLine($"interact CPU {cpuPercent:0} % of one core, server core busy {corePercent:0} %, interact RSS " +
                          $"{server.RssKb() / 1024.0:0} MiB; load generator CPU {ownCpuPercent:0} % of its core");

        var expectedIds = succeeded.Select(k => k.First(a => a.Answer.Succeeded).Answer.TransactionId!.Value).ToHashSet();
        var drain = Stopwatch.StartNew();
        while (expectedIds.Any(id => frames.For(id).Distinct < viewerCount) && drain.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100);
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        var missing = expectedIds.Sum(id => viewerCount - frames.For(id).Distinct);
        var duplicates = expectedIds.Sum(id => Enumerable.Range(0, viewerCount).Count(v => frames.For(id).CountAt(v) > 1));
        var strangers = frames.ByTransaction.Keys.Count(id => !expectedIds.Contains(id));

        var checks = new List<(bool Passed, string What)>
        {
            (others.Count == 0, "every answer was 201 or 409"),
            (conflicts > 0, "some wallets ran dry mid-run (409s happened)"),
            (keysWithTwoNew == 0 && keysWithTwoIds == 0 && replaysWithoutNew == 0,
                $"a retried key is paid once: {keysWithTwoNew} keys with two new transactions, {keysWithTwoIds} with two ids, " +
                $"{replaysWithoutNew} replayed without an original"),
            (keysPaidAndRefused == 0, $"no key was both paid and refused ({keysPaidAndRefused})"),
            (topUpReplaysAgree, "a retried top-up answered the first one's balance"),
            (missing == 0 && duplicates == 0 && strangers == 0 && frames.Unreadable == 0 && receiver.ClosedByServer == 0,
                $"each of the {viewerCount} viewers got each of the {expectedIds.Count} gifts exactly once: {missing} missing, " +
                $"{duplicates} duplicated, {strangers} unknown gift frames, {receiver.ClosedByServer} viewers dropped"),
        };
        foreach (var (passed, what) in checks) Console.WriteLine($"{(passed ? "PASS" : "FAIL")} {what}");

        await WriteCsvAsync(args.Text("answers"), byKey.Select(k =>
        {
            var paid = k.FirstOrDefault(a => a.Answer.Succeeded);
            var answer = paid.Answer ?? k.Last().Answer;
            return string.Create(CultureInfo.InvariantCulture,
                $"{senders[k.Key.Sender].UserId},{k.Key.Key},{answer.Status},{answer.TransactionId},{(answer.Succeeded ? answer.TotalCoins : "")}");
        }));
        await WriteCsvAsync(args.Text("top-ups"), topUps.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.UserId},{t.Key},{t.Amount}")));

        Console.WriteLine(BenchJson.Line(new
        {
            mode = "hotroom", senders = senderCount, poor = poorCount, seconds = sendSeconds, viewers = viewerCount, seed,
            requests = all.Count, succeeded = succeeded.Count, giftsPerSecond = succeeded.Count / sendSeconds, created = fresh.Count,
            replayed = replayed.Count, conflicts, p50Ms = every.Percentile(0.5), p99Ms = every.Percentile(0.99),
            createdP50Ms = fresh.Percentile(0.5), createdP99Ms = fresh.Percentile(0.99), cpuPercent, corePercent, ownCpuPercent,
            passed = checks.All(c => c.Passed),
        }));
        viewers.CloseAll();
        return checks.All(c => c.Passed) ? 0 : 1;
    }

    private static Task WriteCsvAsync(string path, IEnumerable<string> lines) =>
        File.WriteAllLinesAsync(path, lines, new UTF8Encoding(false));
}
