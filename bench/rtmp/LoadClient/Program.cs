using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LiveMicro.Media.Amf;
using LiveMicro.Media.Flv;
using LiveMicro.Media.Rtmp;
using LiveMicro.Media.Rtmp.Commands;

// The RTMP bench's client side, in three modes:
//   <rtmp://host:port/app/name | http://host:port/path.flv> <players> <warmup s> <window s>
//     N players of one stream that read and discard, counting bytes (RTMP: all of them; HTTP-FLV: everything after
//     the response headers, chunked framing included). Prints players connected and the received bitrate (kbit/s) of
//     the slowest 5 %, the median and the slowest. The window starts <warmup> after the process did, whatever the
//     connecting took, so that it matches run.sh's window on the server. With SENDLOG=<file> (written by the publish
//     mode), up to 20 of the players also parse what they get and report latency: the time from the publisher sending
//     a video frame to its arrival at the player (p50/p95 in ms, over the window). Those 20 read with async receives;
//     all the others are read by one thread through epoll (EpollPlayers), which keeps the generator's own core light,
//     as soon as data arrives (or every READ_INTERVAL_MS instead).
//   publish <file.flv> <rtmp://host:port/app/key> <sendlog>
//     Publishes an FLV file in real time, looping, and logs when it sent each video frame (FNV-1a of the payload and
//     the Unix time in ms), so players in another process can tell how long each frame took to reach them.
//   ttff <rtmp-url> <joiners> <spacing ms>
//     Late joiners, started <spacing> apart: from TCP connect to the first video frame and to the first keyframe (ms, p50/p95).
const int LatencyProbes = 20;
// Players connect (blocking handshakes) this many at a time: a ramp, not a SYN flood.
const int ConcurrentConnects = 4;
if (args.Length == 4 && args[0] == "publish")
{
    return await PublishAsync(args[1], new Uri(args[2]), args[3]);
}

if (args.Length == 4 && args[0] == "ttff")
{
    return await TimeToFirstFrameAsync(new Uri(args[1]), int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture));
}

if (args.Length != 4)
{
    Console.Error.WriteLine("usage: <url> <players> <warmup seconds> <window seconds> | publish <flv> <rtmp-url> <sendlog> | ttff <rtmp-url> <joiners> <spacing ms>");
    return 2;
}

var url = new Uri(args[0]);
var players = int.Parse(args[1], CultureInfo.InvariantCulture);
var warmup = TimeSpan.FromSeconds(double.Parse(args[2], CultureInfo.InvariantCulture));
var window = TimeSpan.FromSeconds(double.Parse(args[3], CultureInfo.InvariantCulture));
var sendLog = Environment.GetEnvironmentVariable("SENDLOG");
var received = new long[players];
var connected = 0;
var arrivals = new ConcurrentQueue<(ulong Hash, double ArrivedMs)>();
var measuring = false;
using var stop = new CancellationTokenSource();
var probes = sendLog is null ? 0 : Math.Min(LatencyProbes, players);
var tasks = new List<Task>(probes);
for (var i = 0; i < probes; i++)
{
    var index = i;
    tasks.Add(Task.Run(() => url.Scheme == "rtmp" ? ProbeRtmpAsync(index) : ProbeFlvAsync(index)));
}

var connecting = Stopwatch.StartNew();
using var bulk = new EpollPlayers(received, int.Parse(Environment.GetEnvironmentVariable("READ_INTERVAL_MS") ?? "0", CultureInfo.InvariantCulture));
Parallel.For(probes, players, new ParallelOptions { MaxDegreeOfParallelism = ConcurrentConnects }, index =>
{
    try
    {
        bulk.Add(index, url.Scheme == "rtmp" ? ConnectRtmp(url) : ConnectFlv(url, out received[index]));
        Interlocked.Increment(ref connected);
    }
    catch (Exception exception) when (exception is SocketException or IOException)
    {
    }
});
var connectSeconds = connecting.Elapsed.TotalSeconds;
var untilWindow = warmup - (DateTime.Now - Process.GetCurrentProcess().StartTime);
if (untilWindow > TimeSpan.Zero)
{
    await Task.Delay(untilWindow);
}
else
{
    Console.Error.WriteLine($"Connecting took {connectSeconds:0.0} s, longer than the warm-up: the window starts late.");
}

var before = (long[])received.Clone();
var clock = Stopwatch.StartNew();
Volatile.Write(ref measuring, true);
await Task.Delay(window);
Volatile.Write(ref measuring, false);
var after = (long[])received.Clone();
var seconds = clock.Elapsed.TotalSeconds;
// Connected a little longer, so that run.sh's samples at the window's end see neither the players' teardown on the
// server nor an exited generator.
await Task.Delay(TimeSpan.FromSeconds(2));
stop.Cancel();
var rates = after.Select((bytes, i) => (bytes - before[i]) * 8 / seconds / 1000).Order().ToArray();
var line = string.Create(CultureInfo.InvariantCulture,
    $"connected={Volatile.Read(ref connected)} closed={bulk.Closed} connect_s={connectSeconds:0.0} p5_kbps={rates[(int)(rates.Length * 0.05)]:0} median_kbps={rates[rates.Length / 2]:0} min_kbps={rates[0]:0}");
if (sendLog is not null)
{
    line += " " + Latency(sendLog, arrivals);
}

Console.WriteLine(line);
return 0;

async Task ProbeRtmpAsync(int index)
{
    try
    {
        using var socket = ConnectRtmp(url);
        Interlocked.Increment(ref connected);
        using var parser = new RtmpMessageParser();
        while (true)
        {
            var read = await socket.ReceiveAsync(parser.FreeSpace, stop.Token);
            if (read == 0)
            {
                return;
            }

            Interlocked.Add(ref received[index], read);
            parser.Parse(read, (type, _, payload) =>
            {
                if (type == RtmpMessageType.Video && Volatile.Read(ref measuring))
                {
                    arrivals.Enqueue((Fnv1a(payload), UnixMs()));
                }
            });
        }
    }
    catch (Exception exception) when (exception is OperationCanceledException or SocketException or IOException)
    {
    }
}

async Task ProbeFlvAsync(int index)
{
    try
    {
        using var client = new HttpClient();
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, stop.Token);
        await using var body = await response.Content.ReadAsStreamAsync(stop.Token);
        Interlocked.Increment(ref connected);
        var buffer = new byte[64 * 1024];
        var flv = new FlvTagParser();
        while (true)
        {
            var read = await body.ReadAsync(buffer, stop.Token);
            if (read == 0)
            {
                return;
            }

            Interlocked.Add(ref received[index], read);
            flv.Parse(buffer.AsSpan(0, read), (type, payload) =>
            {
                if (type == FlvTagType.Video && Volatile.Read(ref measuring))
                {
                    arrivals.Enqueue((Fnv1a(payload), UnixMs()));
                }
            });
        }
    }
    catch (Exception exception) when (exception is OperationCanceledException or HttpRequestException or IOException)
    {
    }
}

static async Task<int> TimeToFirstFrameAsync(Uri url, int joiners, int spacingMs)
{
    // Joiners start spacingMs apart (so they land at every point of the GOP) and run side by side.
    var results = await Task.WhenAll(Enumerable.Range(0, joiners).Select(async i =>
    {
        await Task.Delay(i * spacingMs);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var clock = Stopwatch.StartNew();
        double? frame = null;
        double? keyFrame = null;
        try
        {
            using var socket = ConnectRtmp(url);
            using var parser = new RtmpMessageParser();
            while (keyFrame is null)
            {
                var read = await socket.ReceiveAsync(parser.FreeSpace, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                parser.Parse(read, (type, _, payload) =>
                {
                    if (type == RtmpMessageType.Video && FlvVideoTagHeader.TryParse(payload, out var video) && !video.IsSequenceHeader)
                    {
                        frame ??= clock.Elapsed.TotalMilliseconds;
                        if (video.IsKeyFrame)
                        {
                            keyFrame ??= clock.Elapsed.TotalMilliseconds;
                        }
                    }
                });
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or IOException)
        {
        }

        return (Frame: frame ?? double.PositiveInfinity, KeyFrame: keyFrame ?? double.PositiveInfinity);
    }));
    var firstFrame = results.Select(r => r.Frame).ToList();
    var firstKeyFrame = results.Select(r => r.KeyFrame).ToList();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"joiners={joiners} first_frame_p50_ms={Percentile(firstFrame, 0.5):0} first_frame_p95_ms={Percentile(firstFrame, 0.95):0} first_keyframe_p50_ms={Percentile(firstKeyFrame, 0.5):0} first_keyframe_p95_ms={Percentile(firstKeyFrame, 0.95):0} failed={firstKeyFrame.Count(double.IsInfinity)}"));
    return 0;
}

static async Task<int> PublishAsync(string file, Uri url, string sendLogPath)
{
    var bytes = await File.ReadAllBytesAsync(file);
    var tags = new List<(FlvTagType Type, uint Timestamp, byte[] Data)>();
    var input = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
    FlvReader.TryReadFileHeader(ref input, out _, out _);
    while (FlvReader.TryReadTag(ref input, out var tag))
    {
        if (tag.Header.Type is FlvTagType.Audio or FlvTagType.Video)
        {
            tags.Add((tag.Header.Type, tag.Header.Timestamp, tag.Data.ToArray()));
        }
    }

    var loopLength = tags[^1].Timestamp + 40;
    using var socket = ConnectRtmp(url, publish: true);
    await using var sendLog = new StreamWriter(sendLogPath, append: false, Encoding.ASCII) { AutoFlush = true };
    var writer = new RtmpChunkWriter();
    var output = new ArrayBufferWriter<byte>(64 * 1024);
    writer.WriteSetChunkSize(output, 4096);
    await socket.SendAsync(output.WrittenMemory);
    var drain = new byte[4096];
    _ = Task.Run(async () =>
    {
        // Acknowledgements and pings from the server: read and ignore.
        while (await socket.ReceiveAsync(drain) > 0)
        {
        }
    });
    var clock = Stopwatch.StartNew();
    for (long loop = 0; ; loop++)
    {
        foreach (var (type, timestamp, data) in tags)
        {
            var isSequenceHeader = type == FlvTagType.Video
                ? FlvVideoTagHeader.TryParse(data, out var video) && video.IsSequenceHeader
                : data.Length > 1 && data[1] == 0;
            if (loop > 0 && isSequenceHeader)
            {
                continue;
            }

            var at = (ulong)(loop * loopLength) + timestamp;
            var wait = TimeSpan.FromMilliseconds(at) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            output.ResetWrittenCount();
            writer.WriteMessage(output, type == FlvTagType.Video ? 6 : 4, type == FlvTagType.Video ? RtmpMessageType.Video : RtmpMessageType.Audio, 1, (uint)at, data);
            var sentMs = UnixMs();
            await socket.SendAsync(output.WrittenMemory);
            if (type == FlvTagType.Video)
            {
                await sendLog.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{Fnv1a(data)} {sentMs:0.000}"));
            }
        }
    }
}

// Players, late joiners and the publisher: handshake, connect, createStream, then play or publish (answers not
// awaited for play). Blocking calls: a socket that has never seen an async operation can go to EpollPlayers.
static Socket ConnectRtmp(Uri url, bool publish = false)
{
    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = publish, ReceiveTimeout = 10_000 };
    try
    {
        socket.Connect(IPAddress.Parse(url.Host), url.Port);
        var segments = url.AbsolutePath.Trim('/').Split('/');
        var output = new ArrayBufferWriter<byte>(4096);
        var handshake = new RtmpClientHandshake();
        handshake.WriteC0C1(output);
        socket.Send(output.WrittenSpan);
        var buffer = new byte[4096];
        var filled = 0;
        while (filled < 1 + (2 * RtmpServerHandshake.PacketSize))
        {
            var read = socket.Receive(buffer.AsSpan(filled));
            if (read == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            filled += read;
        }

        output.ResetWrittenCount();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(buffer, 0, filled));
        handshake.TryAdvance(ref reader, output);
        var writer = new RtmpChunkWriter();
        var command = new ArrayBufferWriter<byte>(512);
        Amf0Writer.WriteString(command, RtmpCommandName.Connect);
        Amf0Writer.WriteNumber(command, 1);
        Amf0Writer.WriteObjectStart(command);
        Amf0Writer.WriteProperty(command, "app", segments[0]);
        Amf0Writer.WriteProperty(command, "tcUrl", $"rtmp://{url.Host}:{url.Port}/{segments[0]}");
        Amf0Writer.WriteObjectEnd(command);
        writer.WriteMessage(output, 3, RtmpMessageType.CommandAmf0, 0, 0, command.WrittenSpan);
        command.ResetWrittenCount();
        Amf0Writer.WriteString(command, RtmpCommandName.CreateStream);
        Amf0Writer.WriteNumber(command, 2);
        Amf0Writer.WriteNull(command);
        writer.WriteMessage(output, 3, RtmpMessageType.CommandAmf0, 0, 0, command.WrittenSpan);
        command.ResetWrittenCount();
        Amf0Writer.WriteString(command, publish ? RtmpCommandName.Publish : RtmpCommandName.Play);
        Amf0Writer.WriteNumber(command, 0);
        Amf0Writer.WriteNull(command);
        Amf0Writer.WriteString(command, segments[1]);
        if (publish)
        {
            Amf0Writer.WriteString(command, "live");
        }
        else
        {
            Amf0Writer.WriteNumber(command, -2);
        }

        // Servers answer createStream with stream 1 for the first stream of a connection; we assume it rather than parse.
        writer.WriteMessage(output, 8, RtmpMessageType.CommandAmf0, 1, 0, command.WrittenSpan);
        socket.Send(output.WrittenSpan);
        if (publish)
        {
            // Media only after the server accepted the publish (its onStatus names the code in plain ASCII).
            var answers = new List<byte>();
            while (answers.Count < 64 * 1024 && Encoding.ASCII.GetString([.. answers]) is var text && !text.Contains("Publish.Start", StringComparison.Ordinal))
            {
                var read = socket.Receive(buffer);
                if (read == 0 || text.Contains("Publish.BadName", StringComparison.Ordinal))
                {
                    throw new IOException("publish refused");
                }

                answers.AddRange(buffer.AsSpan(0, read));
            }
        }

        return socket;
    }
    catch
    {
        socket.Dispose();
        throw;
    }
}

// An HTTP-FLV player on a blocking socket: the request, then the response headers. bodyBytes: what came after them.
static Socket ConnectFlv(Uri url, out long bodyBytes)
{
    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
    try
    {
        socket.Connect(IPAddress.Parse(url.Host), url.Port);
        socket.Send(Encoding.ASCII.GetBytes($"GET {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\n\r\n"));
        var buffer = new byte[16 * 1024];
        var filled = 0;
        int headersEnd;
        while ((headersEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
        {
            var read = filled < buffer.Length ? socket.Receive(buffer.AsSpan(filled)) : 0;
            if (read == 0)
            {
                throw new IOException("no HTTP response headers");
            }

            filled += read;
        }

        if (!buffer.AsSpan().StartsWith("HTTP/1.1 200 "u8))
        {
            throw new IOException("HTTP-FLV request refused");
        }

        bodyBytes = filled - (headersEnd + 4);
        return socket;
    }
    catch
    {
        socket.Dispose();
        throw;
    }
}

static string Latency(string sendLogPath, ConcurrentQueue<(ulong Hash, double ArrivedMs)> arrivals)
{
    var sent = new Dictionary<ulong, List<double>>();
    using (var log = new FileStream(sendLogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
    using (var text = new StreamReader(log))
    {
        while (text.ReadLine() is { } entry)
        {
            var parts = entry.Split(' ');
            if (parts.Length == 2 && ulong.TryParse(parts[0], CultureInfo.InvariantCulture, out var hash) && double.TryParse(parts[1], CultureInfo.InvariantCulture, out var ms))
            {
                (sent.TryGetValue(hash, out var times) ? times : sent[hash] = []).Add(ms);
            }
        }
    }

    var latencies = new List<double>();
    foreach (var (hash, arrived) in arrivals)
    {
        // The file loops, so a frame's bytes recur; the send that preceded the arrival most closely is the one.
        if (sent.TryGetValue(hash, out var times) && times.Where(t => t <= arrived + 1).DefaultIfEmpty(double.NaN).Max() is var at && !double.IsNaN(at))
        {
            latencies.Add(arrived - at);
        }
    }

    return latencies.Count == 0
        ? "latency=none"
        : string.Create(CultureInfo.InvariantCulture, $"latency_p50_ms={Percentile(latencies, 0.5):0} latency_p95_ms={Percentile(latencies, 0.95):0} latency_frames={latencies.Count}");
}

static double Percentile(List<double> values, double fraction)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Min(sorted.Count - 1, (int)(sorted.Count * fraction))];
}

static double UnixMs() => DateTime.UtcNow.Subtract(DateTime.UnixEpoch).TotalMilliseconds;

static ulong Fnv1a(ReadOnlySpan<byte> data)
{
    var hash = 14695981039346656037UL;
    foreach (var b in data)
    {
        hash = (hash ^ b) * 1099511628211UL;
    }

    return hash;
}

/// <summary>Bytes in, whole RTMP messages out (the chunk reader follows the server's Set Chunk Size).</summary>
internal sealed class RtmpMessageParser : IDisposable
{
    private readonly RtmpChunkReader _reader = new();
    private byte[] _buffer = new byte[64 * 1024];
    private int _filled;

    public Memory<byte> FreeSpace
    {
        get
        {
            if (_filled == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            return _buffer.AsMemory(_filled);
        }
    }

    public void Parse(int read, Action<RtmpMessageType, uint, ReadOnlySpan<byte>> onMessage)
    {
        _filled += read;
        var input = new SequenceReader<byte>(new ReadOnlySequence<byte>(_buffer, 0, _filled));
        while (_reader.TryReadMessage(ref input, out var message))
        {
            using (message)
            {
                onMessage(message.Header.Type, message.Header.Timestamp, message.Payload);
            }
        }

        var consumed = (int)input.Consumed;
        _buffer.AsSpan(consumed, _filled - consumed).CopyTo(_buffer);
        _filled -= consumed;
    }

    public void Dispose() => _reader.Dispose();
}

/// <summary>Bytes of an FLV stream in, whole tags out.</summary>
internal sealed class FlvTagParser
{
    private byte[] _buffer = new byte[128 * 1024];
    private int _filled;
    private bool _headerSkipped;

    public void Parse(ReadOnlySpan<byte> bytes, Action<FlvTagType, ReadOnlySpan<byte>> onTag)
    {
        if (_filled + bytes.Length > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _filled + bytes.Length));
        }

        bytes.CopyTo(_buffer.AsSpan(_filled));
        _filled += bytes.Length;
        var offset = 0;
        if (!_headerSkipped)
        {
            if (_filled < FlvWriter.FileHeaderLength)
            {
                return;
            }

            offset = FlvWriter.FileHeaderLength;
            _headerSkipped = true;
        }

        while (_filled - offset >= 11)
        {
            var size = (int)(BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(offset)) & 0xFFFFFF);
            if (_filled - offset < 11 + size + 4)
            {
                break;
            }

            onTag((FlvTagType)(_buffer[offset] & 0x1F), _buffer.AsSpan(offset + 11, size));
            offset += 11 + size + 4;
        }

        _buffer.AsSpan(offset, _filled - offset).CopyTo(_buffer);
        _filled -= offset;
    }
}
