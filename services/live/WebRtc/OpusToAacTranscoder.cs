using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using LiveMicro.Media;
using LiveMicro.Media.Codecs;
using LiveMicro.Media.Ogg;

namespace LiveMicro.Live.WebRtc;

/// <summary>An AAC frame out of the transcoder: its configuration and the raw frame, the
/// <paramref name="Index"/>th of the stream (1024 samples each).</summary>
public delegate void AacFrameHandler(AudioSpecificConfig configuration, ReadOnlySpan<byte> frame, long index);

/// <summary>
/// ffmpeg as a process behind this one small wrapper, turning a browser's Opus into the AAC that FLV and HLS players
/// take: Opus packets in as an Ogg Opus stream on its standard input, AAC frames out as ADTS on its standard output.
/// <see cref="Write"/> never waits (the socket loop calls it): pages are queued, and a full queue drops, as a lossy
/// network would.
/// </summary>
public sealed partial class OpusToAacTranscoder : IAsyncDisposable
{
    private const int SamplesPerOpusPacket = 960; // 20 ms at 48 kHz, what browsers send

    private readonly Process _ffmpeg;
    private readonly OggOpusWriter _ogg = new((uint)Random.Shared.Next());
    private readonly ArrayBufferWriter<byte> _page = new(2048);
    private readonly Channel<byte[]> _pages = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(512)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });
    private readonly Task _writing;
    private readonly Task _reading;
    private readonly ILogger _logger;
    private uint? _firstTimestamp;

    public OpusToAacTranscoder(AacFrameHandler onFrame, ILogger logger)
    {
        _logger = logger;
        var start = new ProcessStartInfo("ffmpeg")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "-hide_banner", "-loglevel", "error", "-f", "ogg", "-i", "pipe:0", "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2", "-f", "adts", "pipe:1" })
        {
            start.ArgumentList.Add(argument);
        }

        _ffmpeg = Process.Start(start) ?? throw new InvalidOperationException("ffmpeg did not start.");
        _ffmpeg.ErrorDataReceived += (_, line) =>
        {
            if (!string.IsNullOrWhiteSpace(line.Data)) LogFfmpeg(_logger, line.Data);
        };
        _ffmpeg.BeginErrorReadLine();
        _ogg.WriteHeaders(_page, channels: 2);
        _pages.Writer.TryWrite(_page.WrittenSpan.ToArray());
        _writing = WriteAsync();
        _reading = ReadAsync(onFrame);
    }

    /// <summary>One Opus packet and its RTP timestamp (48 kHz).</summary>
    public void Write(uint timestamp, ReadOnlySpan<byte> opus)
    {
        if (opus.IsEmpty) return;
        _firstTimestamp ??= timestamp;
        _page.ResetWrittenCount();
        try
        {
            _ogg.WritePacket(_page, opus, (ulong)(timestamp - _firstTimestamp.Value) + SamplesPerOpusPacket);
        }
        catch (MediaFormatException)
        {
            return;
        }

        _pages.Writer.TryWrite(_page.WrittenSpan.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        _pages.Writer.TryComplete();
        await _writing;
        if (!_ffmpeg.WaitForExit(TimeSpan.FromSeconds(2))) _ffmpeg.Kill();
        await _reading;
        _ffmpeg.Dispose();
    }

    private async Task WriteAsync()
    {
        var input = _ffmpeg.StandardInput.BaseStream;
        try
        {
            await foreach (var page in _pages.Reader.ReadAllAsync()) await input.WriteAsync(page);
        }
        catch (IOException)
        {
            // ffmpeg exited; its reason is in its log
        }

        try
        {
            await input.DisposeAsync();
        }
        catch (IOException)
        {
        }
    }

    private async Task ReadAsync(AacFrameHandler onFrame)
    {
        var output = _ffmpeg.StandardOutput.BaseStream;
        var buffer = new byte[64 * 1024];
        var length = 0;
        long index = 0;
        try
        {
            int read;
            while ((read = await output.ReadAsync(buffer.AsMemory(length))) > 0)
            {
                length += read;
                var consumed = 0;
                while (AudioSpecificConfig.TryReadAdtsFrame(buffer.AsSpan(consumed, length - consumed), out var configuration, out var frame, out var frameLength))
                {
                    onFrame(configuration, frame, index++);
                    consumed += frameLength;
                }

                buffer.AsSpan(consumed, length - consumed).CopyTo(buffer);
                length -= consumed;
            }
        }
        catch (MediaFormatException e)
        {
            LogFfmpeg(_logger, $"unreadable output: {e.Message}");
        }
    }

    [LoggerMessage(LogLevel.Warning, "Opus to AAC: {Line}")]
    private static partial void LogFfmpeg(ILogger logger, string line);
}
