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
/// goes live, is authorized and is played exactly as when OBS publishes. Metadata first, then video as FLV AVC tags (a
/// sequence header whenever the parameter sets change) and the browser's Opus transcoded to AAC (FLV and HLS players
/// take no Opus). Both tracks count time from the first media of either, by the clock, as they arrive. Tags are queued
/// (bounded: a stalled media server drops the oldest) and sent by one pump, so the socket loop never waits on TCP.
/// </summary>
public sealed partial class RtmpRelay : IWebRtcIngestSink, IAsyncDisposable
{
    private const byte AvcKeyframe = 0x17;
    private const byte AvcInterFrame = 0x27;
    private const byte AacStereo = 0xAF; // AAC, 44 kHz and 16-bit stereo as FLV requires it to say, whatever the rate

    private readonly Uri _publishUrl;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly bool _withAudio;
    private OpusToAacTranscoder? _audio;
    private readonly Channel<(RtmpMessageType Type, uint Timestamp, byte[] Body)> _tags =
        Channel.CreateBounded<(RtmpMessageType, uint, byte[])>(new BoundedChannelOptions(512) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly CancellationTokenSource _stopped = new();
    private Task _pump = Task.CompletedTask;
    private long _origin;
    private uint? _firstVideoTimestamp;
    private uint _videoStartsAt;
    private uint? _audioStartsAt;
    private bool _audioHeaderSent;

    public RtmpRelay(Uri publishUrl, bool withAudio, TimeProvider time, ILogger logger)
    {
        _publishUrl = publishUrl;
        _logger = logger;
        _time = time;
        _withAudio = withAudio;
    }

    /// <summary>Ends the session when the media server refuses or drops the publish.</summary>
    public Action? Failed { get; set; }

    public void OnStateChanged(WebRtcIngestState state)
    {
        if (state == WebRtcIngestState.Connected)
        {
            // started here, on the handshake's thread: not for a publisher that never connects, and not on the socket loop
            if (_withAudio) Volatile.Write(ref _audio, StartTranscoder());
            _pump = PumpAsync();
        }
        else if (state == WebRtcIngestState.Closed)
        {
            _tags.Writer.TryComplete();
        }
    }

    public void OnVideo(H264AccessUnit unit, byte[] sequenceParameterSet, byte[] pictureParameterSet, bool parameterSetsChanged)
    {
        if (_firstVideoTimestamp is null)
        {
            _firstVideoTimestamp = unit.Timestamp;
            _videoStartsAt = MillisecondsSinceOrigin();
        }

        var milliseconds = _videoStartsAt + (unit.Timestamp - _firstVideoTimestamp.Value) / 90;
        if (parameterSetsChanged)
        {
            var header = new ArrayBufferWriter<byte>(64);
            header.Write<byte>([AvcKeyframe, 0, 0, 0, 0]); // AVC sequence header, composition time 0
            AvcDecoderConfigurationRecord.Write(header, sequenceParameterSet, pictureParameterSet);
            _tags.Writer.TryWrite((RtmpMessageType.Video, milliseconds, header.WrittenSpan.ToArray()));
        }

        var body = new byte[5 + unit.LengthPrefixed.Length];
        body[0] = unit.IsKeyframe ? AvcKeyframe : AvcInterFrame;
        body[1] = 1; // AVC NALU; composition time 0: a browser sends no B-frames
        unit.LengthPrefixed.CopyTo(body.AsSpan(5));
        _tags.Writer.TryWrite((RtmpMessageType.Video, milliseconds, body));
    }

    public void OnAudio(uint timestamp, ReadOnlySpan<byte> opus)
    {
        if (Volatile.Read(ref _audio) is not { } audio) return;
        _audioStartsAt ??= MillisecondsSinceOrigin();
        audio.Write(timestamp, opus);
    }

    /// <summary>On the transcoder's reader: the frame's time is its place in the AAC stream after the audio's start.</summary>
    private void OnAac(AudioSpecificConfig configuration, ReadOnlySpan<byte> frame, long index)
    {
        var milliseconds = (_audioStartsAt ?? 0) + (uint)(index * 1024 * 1000 / Math.Max(configuration.SamplingFrequency, 1));
        if (!_audioHeaderSent)
        {
            _audioHeaderSent = true;
            _tags.Writer.TryWrite((RtmpMessageType.Audio, milliseconds, [AacStereo, 0, .. configuration.ToBytes()]));
        }

        _tags.Writer.TryWrite((RtmpMessageType.Audio, milliseconds, [AacStereo, 1, .. frame]));
    }

    /// <summary>Without ffmpeg the video still goes; the audio is left out, and said so.</summary>
    private OpusToAacTranscoder? StartTranscoder()
    {
        try
        {
            return new OpusToAacTranscoder(OnAac, _logger);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            LogNoTranscoder(_logger, e.Message);
            return null;
        }
    }

    private uint MillisecondsSinceOrigin()
    {
        if (_origin == 0) _origin = _time.GetTimestamp();
        return (uint)_time.GetElapsedTime(_origin).TotalMilliseconds;
    }

    public async ValueTask DisposeAsync()
    {
        _tags.Writer.TryComplete();
        await _stopped.CancelAsync();
        await _pump;
        if (_audio is not null) await _audio.DisposeAsync();
        _stopped.Dispose();
    }

    private async Task PumpAsync()
    {
        try
        {
            await using var publisher = await RtmpPublisher.PublishAsync(_publishUrl, _stopped.Token);
            await publisher.SendAsync(RtmpMessageType.DataAmf0, 0, Metadata(Volatile.Read(ref _audio) is not null), _stopped.Token);
            using var both = CancellationTokenSource.CreateLinkedTokenSource(_stopped.Token, publisher.Closed);
            await foreach (var (type, timestamp, body) in _tags.Reader.ReadAllAsync(both.Token))
            {
                await publisher.SendAsync(type, timestamp, body, both.Token);
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

    /// <summary>@setDataFrame onMetaData naming H.264 video and AAC audio, or no audio (so players do not wait for
    /// it) when the publisher sends none.</summary>
    private static byte[] Metadata(bool withAudio)
    {
        var metadata = new ArrayBufferWriter<byte>(128);
        Amf0Writer.WriteString(metadata, "@setDataFrame");
        Amf0Writer.WriteString(metadata, "onMetaData");
        Amf0Writer.WriteEcmaArrayStart(metadata, withAudio ? 3u : 2u);
        Amf0Writer.WriteProperty(metadata, "videocodecid", 7);
        if (withAudio) Amf0Writer.WriteProperty(metadata, "audiocodecid", 10);
        Amf0Writer.WriteProperty(metadata, "encoder", "LiveMicro WebRTC relay");
        Amf0Writer.WriteObjectEnd(metadata);
        return metadata.WrittenSpan.ToArray();
    }

    private void Fail(Exception? reason)
    {
        LogRelayEnded(_logger, _publishUrl.Host, reason?.Message ?? "the media server closed the connection");
        Failed?.Invoke();
    }

    [LoggerMessage(LogLevel.Error, "ffmpeg could not be started, so a WebRTC publisher's audio is left out: {Reason}")]
    private static partial void LogNoTranscoder(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Warning, "The RTMP relay to {Host} ended: {Reason}")]
    private static partial void LogRelayEnded(ILogger logger, string host, string reason);
}
