using System.Buffers;
using System.Threading.Channels;
using LiveMicro.Media.Amf;
using LiveMicro.Media.Codecs;
using LiveMicro.Media.Rtmp;
using LiveMicro.Media.Rtp;
using LiveMicro.Media.WebRtc;

namespace LiveMicro.Live.WebRtc;

/// <summary>
/// Hands a WebRTC publisher's media to the media server as an RTMP publish with the room's stream key, so the room
/// goes live, is authorized and is played exactly as when OBS publishes. Metadata first (H.264, no audio), then video
/// as FLV AVC tags (a sequence header whenever the parameter sets change); audio is not relayed yet (the browser sends Opus, which FLV's AAC players
/// cannot take without transcoding). Access units are queued (bounded: a stalled media server drops the oldest) and
/// sent by one pump, so the socket loop never waits on TCP.
/// </summary>
public sealed partial class RtmpRelay(Uri publishUrl, ILogger logger) : IWebRtcIngestSink, IAsyncDisposable
{
    private const byte AvcKeyframe = 0x17;
    private const byte AvcInterFrame = 0x27;

    private readonly Channel<(uint Timestamp, byte[] Body)> _video =
        Channel.CreateBounded<(uint, byte[])>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly CancellationTokenSource _stopped = new();
    private Task _pump = Task.CompletedTask;
    private uint? _firstTimestamp;

    /// <summary>Ends the session when the media server refuses or drops the publish.</summary>
    public Action? Failed { get; set; }

    public void OnStateChanged(WebRtcIngestState state)
    {
        if (state == WebRtcIngestState.Connected) _pump = PumpAsync();
        else if (state == WebRtcIngestState.Closed) _video.Writer.TryComplete();
    }

    public void OnVideo(H264AccessUnit unit, byte[] sequenceParameterSet, byte[] pictureParameterSet, bool parameterSetsChanged)
    {
        _firstTimestamp ??= unit.Timestamp;
        var milliseconds = (unit.Timestamp - _firstTimestamp.Value) / 90;
        if (parameterSetsChanged)
        {
            var header = new ArrayBufferWriter<byte>(64);
            header.Write<byte>([AvcKeyframe, 0, 0, 0, 0]); // AVC sequence header, composition time 0
            AvcDecoderConfigurationRecord.Write(header, sequenceParameterSet, pictureParameterSet);
            _video.Writer.TryWrite((milliseconds, header.WrittenSpan.ToArray()));
        }

        var body = new byte[5 + unit.LengthPrefixed.Length];
        body[0] = unit.IsKeyframe ? AvcKeyframe : AvcInterFrame;
        body[1] = 1; // AVC NALU; composition time 0: a browser sends no B-frames
        unit.LengthPrefixed.CopyTo(body.AsSpan(5));
        _video.Writer.TryWrite((milliseconds, body));
    }

    public void OnAudio(uint timestamp, ReadOnlySpan<byte> opus)
    {
    }

    public async ValueTask DisposeAsync()
    {
        _video.Writer.TryComplete();
        await _stopped.CancelAsync();
        await _pump;
        _stopped.Dispose();
    }

    private async Task PumpAsync()
    {
        try
        {
            await using var publisher = await RtmpPublisher.PublishAsync(publishUrl, _stopped.Token);
            await publisher.SendAsync(RtmpMessageType.DataAmf0, 0, Metadata(), _stopped.Token);
            using var both = CancellationTokenSource.CreateLinkedTokenSource(_stopped.Token, publisher.Closed);
            await foreach (var (timestamp, body) in _video.Reader.ReadAllAsync(both.Token))
            {
                await publisher.SendAsync(RtmpMessageType.Video, timestamp, body, both.Token);
            }

            if (publisher.Closed.IsCancellationRequested) Fail(null);
        }
        catch (OperationCanceledException) when (_stopped.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    /// <summary>@setDataFrame onMetaData naming H.264 video and no audio, so players do not wait for audio.</summary>
    private static byte[] Metadata()
    {
        var metadata = new ArrayBufferWriter<byte>(128);
        Amf0Writer.WriteString(metadata, "@setDataFrame");
        Amf0Writer.WriteString(metadata, "onMetaData");
        Amf0Writer.WriteEcmaArrayStart(metadata, 2);
        Amf0Writer.WriteProperty(metadata, "videocodecid", 7);
        Amf0Writer.WriteProperty(metadata, "encoder", "LiveMicro WebRTC relay");
        Amf0Writer.WriteObjectEnd(metadata);
        return metadata.WrittenSpan.ToArray();
    }

    private void Fail(Exception? reason)
    {
        LogRelayEnded(logger, publishUrl.Host, reason?.Message ?? "the media server closed the connection");
        Failed?.Invoke();
    }

    [LoggerMessage(LogLevel.Warning, "The RTMP relay to {Host} ended: {Reason}")]
    private static partial void LogRelayEnded(ILogger logger, string host, string reason);
}
