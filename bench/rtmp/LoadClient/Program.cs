using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LiveMicro.Media.Amf;
using LiveMicro.Media.Rtmp;
using LiveMicro.Media.Rtmp.Commands;

// A light load generator: N players of one stream over RTMP or HTTP-FLV that read and discard, counting bytes.
// Usage: LiveMicro.Bench.RtmpLoad <rtmp://host:port/app/name | http://host:port/path.flv> <players> <warmup s> <window s>
// Prints one line: players connected, and the received bitrate (kbit/s) of the slowest 5 %, the median and the slowest.
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: <url> <players> <warmup seconds> <window seconds>");
    return 2;
}

var url = new Uri(args[0]);
var players = int.Parse(args[1], CultureInfo.InvariantCulture);
var warmup = TimeSpan.FromSeconds(double.Parse(args[2], CultureInfo.InvariantCulture));
var window = TimeSpan.FromSeconds(double.Parse(args[3], CultureInfo.InvariantCulture));
var received = new long[players];
var connected = 0;
using var stop = new CancellationTokenSource();
var tasks = new List<Task>(players);
for (var i = 0; i < players; i++)
{
    var index = i;
    tasks.Add(Task.Run(() => url.Scheme == "rtmp" ? PlayRtmpAsync(index) : PlayFlvAsync(index)));
    if (i % 50 == 49)
    {
        await Task.Delay(20); // a ramp, not a SYN flood
    }
}

await Task.Delay(warmup);
var before = (long[])received.Clone();
var clock = Stopwatch.StartNew();
await Task.Delay(window);
var after = (long[])received.Clone();
var seconds = clock.Elapsed.TotalSeconds;
stop.Cancel();
var rates = after.Select((bytes, i) => (bytes - before[i]) * 8 / seconds / 1000).Order().ToArray();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"connected={Volatile.Read(ref connected)} p5_kbps={rates[(int)(rates.Length * 0.05)]:0} median_kbps={rates[rates.Length / 2]:0} min_kbps={rates[0]:0}"));
return 0;

async Task PlayRtmpAsync(int index)
{
    try
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Parse(url.Host), url.Port, stop.Token);
        var segments = url.AbsolutePath.Trim('/').Split('/');
        var output = new ArrayBufferWriter<byte>(4096);
        var handshake = new RtmpClientHandshake();
        handshake.WriteC0C1(output);
        await socket.SendAsync(output.WrittenMemory, stop.Token);
        var buffer = new byte[64 * 1024];
        var filled = 0;
        while (filled < 1 + (2 * RtmpServerHandshake.PacketSize))
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled), stop.Token);
            if (read == 0)
            {
                return;
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
        Amf0Writer.WriteString(command, RtmpCommandName.Play);
        Amf0Writer.WriteNumber(command, 0);
        Amf0Writer.WriteNull(command);
        Amf0Writer.WriteString(command, segments[1]);
        Amf0Writer.WriteNumber(command, -2);
        // Servers answer createStream with stream 1 for the first stream of a connection; we assume it rather than parse.
        writer.WriteMessage(output, 8, RtmpMessageType.CommandAmf0, 1, 0, command.WrittenSpan);
        await socket.SendAsync(output.WrittenMemory, stop.Token);
        Interlocked.Increment(ref connected);
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, stop.Token);
            if (read == 0)
            {
                return;
            }

            Interlocked.Add(ref received[index], read);
        }
    }
    catch (Exception exception) when (exception is OperationCanceledException or SocketException)
    {
    }
}

async Task PlayFlvAsync(int index)
{
    try
    {
        using var client = new HttpClient();
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, stop.Token);
        await using var body = await response.Content.ReadAsStreamAsync(stop.Token);
        Interlocked.Increment(ref connected);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = await body.ReadAsync(buffer, stop.Token);
            if (read == 0)
            {
                return;
            }

            Interlocked.Add(ref received[index], read);
        }
    }
    catch (Exception exception) when (exception is OperationCanceledException or HttpRequestException or IOException)
    {
    }
}
