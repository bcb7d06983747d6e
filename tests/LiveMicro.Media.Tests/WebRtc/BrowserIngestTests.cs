using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using LiveMicro.Media.Codecs;
using LiveMicro.Media.Dtls;
using LiveMicro.Media.Flv;
using LiveMicro.Media.Ice;
using LiveMicro.Media.Rtp;
using LiveMicro.Media.Sdp;
using LiveMicro.Media.Tests.Support;
using LiveMicro.Media.WebRtc;
using LiveMicro.Testing;

namespace LiveMicro.Media.Tests.WebRtc;

/// <summary>
/// Debian's Chromium publishing its fake camera and microphone to a <see cref="WebRtcIngestSession"/> on a UDP socket
/// of this test, the way a WHIP client does: its offer negotiated, our answer taken by the browser, ICE checks
/// answered, DTLS done, SRTP read, H.264 rebuilt. What arrives must decode.
/// </summary>
public sealed class BrowserIngestTests : IAsyncLifetime
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();
    private ChromiumPublisher _chromium = null!;

    public async Task InitializeAsync()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _chromium = await ChromiumPublisher.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _chromium.DisposeAsync();
    }

    [Fact]
    public async Task Chromiums_camera_arrives_as_decodable_H264_and_its_microphone_as_Opus()
    {
        var page = await _chromium.OpenAsync();
        var offer = await ChromiumPublisher.OfferAsync(page);

        var local = IceCredentials.Generate();
        var certificate = DtlsCertificate.Generate(DateTimeOffset.UtcNow);
        var negotiation = IngestNegotiation.Negotiate(SessionDescription.Parse(offer), local, certificate.Fingerprint,
            [(IPEndPoint)_socket.LocalEndPoint!]);
        var sink = new CollectingSink();
        using var session = new WebRtcIngestSession(negotiation, local, certificate, sink,
            (datagram, to) => _socket.SendTo(datagram.Span, SocketFlags.None, to), TimeProvider.System, TimeSpan.FromSeconds(1));
        var receiving = ReceiveAsync(session);

        await ChromiumPublisher.AnswerAsync(page, negotiation.Answer);

        await Eventually(() => sink.States.Contains(WebRtcIngestState.Connected), "the DTLS handshake");
        Assert.Equal(WebRtcIngestState.Connected, session.State);
        Assert.Equal("connected", await ChromiumPublisher.ConnectionStateAsync(page));
        await Eventually(() => sink.Video.Count >= 45 && sink.AudioPackets >= 50, "a second and a half of video and of audio");

        var file = Path.Combine(Path.GetTempPath(), $"livemicro-browser-{Guid.NewGuid():N}.flv");
        try
        {
            File.WriteAllBytes(file, sink.Flv());
            var (output, errors) = Ffprobe.Run("-v", "error", "-count_frames", "-select_streams", "v", "-show_entries",
                "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", file);
            Assert.Equal("", errors);
            var fields = output.Trim().Split(',');
            Assert.Equal(["h264", "320", "240"], fields[..3]);
            Assert.True(int.Parse(fields[3]) >= 45, output);
        }
        finally
        {
            File.Delete(file);
        }

        Assert.True(sink.Video[0].IsKeyframe);
        // the browser sends keyframes only when asked: at least one more was, within the 1 s interval
        Assert.True(sink.Video.Count(u => u.IsKeyframe) >= 2, $"{sink.Video.Count(u => u.IsKeyframe)} keyframes");
        await page.CloseAsync();
        await _stop.CancelAsync();
        await receiving;
    }

    private async Task ReceiveAsync(WebRtcIngestSession session)
    {
        var buffer = new byte[2048];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (true)
            {
                var received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
                session.Receive(buffer.AsSpan(0, received.ReceivedBytes), (IPEndPoint)received.RemoteEndPoint);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    private sealed record VideoUnit(uint Timestamp, bool IsKeyframe, byte[] Data, byte[]? Configuration);

    private sealed class CollectingSink : IWebRtcIngestSink
    {
        private int _audioPackets;

        public ConcurrentQueue<WebRtcIngestState> States { get; } = new();

        public List<VideoUnit> Video { get; } = [];

        public int AudioPackets => Volatile.Read(ref _audioPackets);

        public void OnVideo(H264AccessUnit unit, byte[] sequenceParameterSet, byte[] pictureParameterSet, bool parameterSetsChanged)
        {
            byte[]? configuration = null;
            if (parameterSetsChanged)
            {
                var record = new ArrayBufferWriter<byte>();
                AvcDecoderConfigurationRecord.Write(record, sequenceParameterSet, pictureParameterSet);
                configuration = record.WrittenSpan.ToArray();
            }

            lock (Video) Video.Add(new VideoUnit(unit.Timestamp, unit.IsKeyframe, unit.LengthPrefixed.ToArray(), configuration));
        }

        public void OnAudio(uint timestamp, ReadOnlySpan<byte> opus)
        {
            if (!opus.IsEmpty) Interlocked.Increment(ref _audioPackets);
        }

        public void OnStateChanged(WebRtcIngestState state) => States.Enqueue(state);

        public byte[] Flv()
        {
            var flv = new ArrayBufferWriter<byte>();
            FlvWriter.WriteFileHeader(flv, hasAudio: false, hasVideo: true);
            lock (Video)
            {
                foreach (var unit in Video)
                {
                    var time = (unit.Timestamp - Video[0].Timestamp) / 90;
                    if (unit.Configuration is { } configuration) FlvWriter.WriteTag(flv, FlvTagType.Video, time, [0x17, 0, 0, 0, 0, .. configuration]);
                    FlvWriter.WriteTag(flv, FlvTagType.Video, time, [(byte)(unit.IsKeyframe ? 0x17 : 0x27), 1, 0, 0, 0, .. unit.Data]);
                }
            }

            return flv.WrittenSpan.ToArray();
        }
    }
}
