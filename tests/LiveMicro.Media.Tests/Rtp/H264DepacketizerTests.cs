using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using LiveMicro.Media.Codecs;
using LiveMicro.Media.Flv;
using LiveMicro.Media.Rtp;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Rtp;

/// <summary>A baseline H.264 stream of two seconds made by ffmpeg, and the RTP packets ffmpeg's own packetizer sent
/// of it to a UDP socket: single NAL unit packets, STAP-A for the parameter sets, FU-A for large slices.</summary>
public sealed class FfmpegH264Rtp : IAsyncLifetime
{
    public const int Frames = 60;
    private string _directory = null!;

    public string AnnexB { get; private set; } = null!;

    public List<byte[]> Packets { get; private set; } = null!;

    public string Directory => _directory;

    public async Task InitializeAsync()
    {
        _directory = System.IO.Directory.CreateTempSubdirectory("livemicro-h264-rtp").FullName;
        AnnexB = Path.Combine(_directory, "source.h264");
        using (var encode = Ffmpeg.Start("-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-frames:v", $"{Frames}",
                   "-c:v", "libx264", "-profile:v", "baseline", "-g", "30", "-f", "h264", AnnexB))
        {
            await encode.WaitForExitAsync();
            Assert.Equal(0, encode.ExitCode);
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 8 * 1024 * 1024 };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        // rtcpport points ffmpeg's sender reports elsewhere; pkt_size keeps the 1200-byte packets a browser sends
        using var send = Ffmpeg.Start("-v", "error", "-i", AnnexB, "-c", "copy", "-f", "rtp", "-payload_type", "102",
            $"rtp://127.0.0.1:{port}?rtcpport=9&pkt_size=1200");
        Packets = [];
        var buffer = new byte[2048];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            using var wait = new CancellationTokenSource(send.HasExited ? 500 : 3000);
            try
            {
                var received = await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
                Packets.Add(buffer[..received]);
            }
            catch (OperationCanceledException)
            {
                if (send.HasExited) break;
            }
        }

        Assert.Equal(0, send.ExitCode);
    }

    public Task DisposeAsync()
    {
        System.IO.Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>Against ffmpeg's own RTP packetizer: every access unit comes back NAL unit for NAL unit, and decodes.</summary>
public sealed class H264DepacketizerTests(FfmpegH264Rtp ffmpeg) : IClassFixture<FfmpegH264Rtp>
{
    private const int Frames = FfmpegH264Rtp.Frames;
    private readonly string _directory = ffmpeg.Directory;
    private readonly string _annexB = ffmpeg.AnnexB;
    private readonly List<byte[]> _packets = ffmpeg.Packets;

    private static List<byte[]> NalUnits(ReadOnlySpan<byte> annexB)
    {
        var units = new List<byte[]>();
        var start = -1;
        for (var i = 0; i + 3 <= annexB.Length; i++)
        {
            if (annexB[i] != 0 || annexB[i + 1] != 0 || annexB[i + 2] != 1) continue;
            if (start >= 0) units.Add(annexB[start..(annexB[i - 1] == 0 ? i - 1 : i)].ToArray());
            start = i + 3;
        }

        units.Add(annexB[start..].ToArray());
        return units;
    }

    private static List<byte[]> LengthPrefixedUnits(ReadOnlySpan<byte> data)
    {
        var units = new List<byte[]>();
        while (!data.IsEmpty)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(data);
            units.Add(data.Slice(4, length).ToArray());
            data = data[(4 + length)..];
        }

        return units;
    }

    private sealed record Unit(uint Timestamp, bool IsKeyframe, byte[] Data);

    private static List<Unit> Depacketize(H264Depacketizer depacketizer, IEnumerable<byte[]> packets)
    {
        var units = new List<Unit>();
        foreach (var packet in packets)
        {
            Assert.True(RtpPacket.TryParse(packet, out var rtp));
            depacketizer.Push(rtp.SequenceNumber, rtp.Timestamp, rtp.Marker, rtp.Payload,
                unit => units.Add(new Unit(unit.Timestamp, unit.IsKeyframe, unit.LengthPrefixed.ToArray())));
        }

        return units;
    }

    [Fact]
    public void Every_access_unit_comes_back_nal_unit_for_nal_unit_with_its_parameter_sets_apart()
    {
        var source = NalUnits(File.ReadAllBytes(_annexB));
        var depacketizer = new H264Depacketizer();

        var units = Depacketize(depacketizer, _packets);

        Assert.Contains(_packets, p => (p[12] & 0x1F) == 24); // STAP-A
        Assert.Contains(_packets, p => (p[12] & 0x1F) == 28); // FU-A
        Assert.Equal(Frames, units.Count);
        var expected = source.Where(nal => (nal[0] & 0x1F) is not (7 or 8 or 9)).Select(Convert.ToHexString).ToList();
        Assert.Equal(expected, units.SelectMany(u => LengthPrefixedUnits(u.Data)).Select(Convert.ToHexString).ToList());
        Assert.Equal([0, 30], units.Select((u, i) => (u, i)).Where(x => x.u.IsKeyframe).Select(x => x.i));
        // 30 frames a second at 90 kHz, give or take ffmpeg's rounding
        Assert.All(units.Zip(units.Skip(1)), pair => Assert.InRange(pair.Second.Timestamp - pair.First.Timestamp, 2999u, 3001u));
        Assert.Equal(Convert.ToHexString(source.First(n => (n[0] & 0x1F) == 7)), Convert.ToHexString(depacketizer.SequenceParameterSet!));
        Assert.Equal(Convert.ToHexString(source.First(n => (n[0] & 0x1F) == 8)), Convert.ToHexString(depacketizer.PictureParameterSet!));
        Assert.True(depacketizer.ParameterSetsChanged);
    }

    [Fact]
    public void The_access_units_decode_in_an_FLV_behind_a_sequence_header_made_of_the_parameter_sets()
    {
        var depacketizer = new H264Depacketizer();
        var units = Depacketize(depacketizer, _packets);
        var flv = new ArrayBufferWriter<byte>();
        FlvWriter.WriteFileHeader(flv, hasAudio: false, hasVideo: true);
        var header = new ArrayBufferWriter<byte>();
        header.Write<byte>([0x17, 0, 0, 0, 0]); // keyframe, AVC, sequence header, composition time 0
        AvcDecoderConfigurationRecord.Write(header, depacketizer.SequenceParameterSet!, depacketizer.PictureParameterSet!);
        FlvWriter.WriteTag(flv, FlvTagType.Video, 0, header.WrittenSpan);
        foreach (var unit in units)
        {
            byte[] tag = [(byte)(unit.IsKeyframe ? 0x17 : 0x27), 1, 0, 0, 0, .. unit.Data];
            FlvWriter.WriteTag(flv, FlvTagType.Video, (unit.Timestamp - units[0].Timestamp) / 90, tag);
        }

        var file = Path.Combine(_directory, "depacketized.flv");
        File.WriteAllBytes(file, flv.WrittenSpan.ToArray());

        var (output, errors) = Ffprobe.Run("-v", "error", "-count_frames", "-select_streams", "v", "-show_entries",
            "stream=codec_name,profile,width,height,nb_read_frames", "-of", "csv=p=0", file);
        Assert.Equal("", errors);
        Assert.Equal($"h264,Constrained Baseline,320,240,{Frames}", output.Trim());
    }

    [Fact]
    public void A_lost_packet_drops_its_access_unit_and_what_follows_until_the_next_keyframe()
    {
        // a fragment of a slice, not its first, after the first keyframe's
        var lost = _packets.Select((p, i) => (p, i)).First(x => (x.p[12] & 0x1F) == 28 && (x.p[13] & 0x80) == 0 && x.i > _packets.Count / 4).i;
        var depacketizer = new H264Depacketizer();
        var needed = new List<bool>();
        var units = new List<Unit>();
        for (var i = 0; i < _packets.Count; i++)
        {
            if (i == lost) continue;
            Assert.True(RtpPacket.TryParse(_packets[i], out var rtp));
            depacketizer.Push(rtp.SequenceNumber, rtp.Timestamp, rtp.Marker, rtp.Payload,
                unit => units.Add(new Unit(unit.Timestamp, unit.IsKeyframe, unit.LengthPrefixed.ToArray())));
            needed.Add(depacketizer.NeedsKeyframe);
        }

        var all = Depacketize(new H264Depacketizer(), _packets);
        var lostTimestamp = BinaryPrimitives.ReadUInt32BigEndian(_packets[lost].AsSpan(4));
        var resumed = all.First(u => u.IsKeyframe && u.Timestamp > lostTimestamp).Timestamp;
        Assert.Equal(all.Where(u => u.Timestamp < lostTimestamp || u.Timestamp >= resumed).Select(u => Convert.ToHexString(u.Data)),
            units.Select(u => Convert.ToHexString(u.Data)));
        Assert.Contains(true, needed.Skip(lost)); // the receiver was told to ask for a keyframe
        Assert.False(needed[^1]);
    }

    [Fact]
    public void Mutated_packets_are_refused_or_depacketized_never_thrown_out()
    {
        var payloads = _packets.Take(40).ToList();
        var depacketizer = new H264Depacketizer();
        ushort sequence = 0;

        Fuzz.Run<InvalidOperationException>(Fuzz.Seed(6184), 20_000, payloads, packet =>
        {
            if (RtpPacket.TryParse(packet, out var rtp)) depacketizer.Push(sequence++, rtp.Timestamp, rtp.Marker, rtp.Payload, _ => { });
        }, length => 4 * 1024 * 1024 + 64 * length);
    }
}
