using System.Net;
using LiveMicro.Media.Amf;
using LiveMicro.Media.Flv;
using LiveMicro.Media.Rtmp;
using LiveMicro.Rtmp.Tests.Support;

namespace LiveMicro.Rtmp.Tests;

/// <summary>Real clients on both sides: ffmpeg publishes; ffprobe, rtmpdump and our own client play.</summary>
[Collection(RtmpCollection.Name)]
public sealed class PublishAndPlayTests(RtmpServerFixture server)
{
    private const int Seconds = 4;
    private const int Frames = Seconds * 25;
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Ffmpeg_publish_by_key_is_read_back_by_ffprobe_over_rtmp_http_flv_and_hls_and_by_rtmpdump()
    {
        var room = server.Live.OpenRoom();
        var recording = Path.Combine(Path.GetTempPath(), $"rtmpdump-{Guid.NewGuid():N}.flv");
        try
        {
            using var ffmpeg = MediaTools.PublishTestStream(server.RtmpUrl(room.StreamKey), Seconds);
            var ffmpegErrors = ffmpeg.StandardError.ReadToEndAsync();
            await server.WaitUntilLiveAsync(room.StreamName);

            // Every reader joins within the first 2 s GOP, so each one gets every frame from the first keyframe on.
            var overRtmp = MediaTools.ProbeAsync(server.RtmpUrl(room.StreamName), ToolTimeout);
            var overFlv = MediaTools.ProbeAsync(server.HttpUrl($"/live/{room.StreamName}.flv"), ToolTimeout);
            var rtmpdump = MediaTools.RunAsync(ToolTimeout, "rtmpdump", "-q", "--live", "-r", server.RtmpUrl(room.StreamName), "-o", recording);
            var stats = await EventuallyPlayersAsync(room.StreamName, 3);

            await ffmpeg.WaitForExitAsync().WaitAsync(ToolTimeout);
            Assert.True(ffmpeg.ExitCode == 0, await ffmpegErrors);
            var expectedVideo = $"h264,320,240,{Frames}";
            var rtmpLines = await overRtmp;
            var flvLines = await overFlv;
            await rtmpdump;
            var dumpedLines = await MediaTools.ProbeAsync(recording, ToolTimeout);
            var hlsLines = await MediaTools.ProbeAsync(server.HttpUrl($"/live/{room.StreamName}/index.m3u8"), ToolTimeout);

            var all = string.Join(" | ", rtmpLines.Concat(flvLines).Concat(dumpedLines).Concat(hlsLines));
            Assert.True(new[] { rtmpLines, flvLines, dumpedLines, hlsLines }.All(lines => lines[0] == expectedVideo), all);
            Assert.Equal(expectedVideo, rtmpLines[0]);
            Assert.StartsWith("aac,", rtmpLines[1]);
            Assert.Equal(expectedVideo, flvLines[0]);
            Assert.StartsWith("aac,", flvLines[1]);
            Assert.Equal(expectedVideo, dumpedLines[0]);
            Assert.StartsWith("aac,", dumpedLines[1]);
            Assert.Equal(expectedVideo, hlsLines[0]);
            Assert.StartsWith("aac,", hlsLines[1]);

            var playlist = await server.Http.GetStringAsync($"/live/{room.StreamName}/index.m3u8");
            Assert.Contains("#EXTINF:2.000,", playlist);
            Assert.EndsWith("#EXT-X-ENDLIST\n", playlist);

            Assert.Equal("h264", stats["videoCodec"]!.GetValue<string>());
            Assert.Equal("aac", stats["audioCodec"]!.GetValue<string>());
            Assert.Equal(room.RoomId, stats["roomId"]!.GetValue<long>());
            Assert.DoesNotContain(room.StreamKey, stats.ToJsonString());
            await server.WaitUntilGoneAsync(room.StreamName);
        }
        finally
        {
            File.Delete(recording);
        }
    }

    [Fact]
    public async Task Publish_start_and_stop_are_reported_as_events_with_one_publisher_id()
    {
        var room = server.Live.OpenRoom();
        using var ffmpeg = MediaTools.PublishTestStream(server.RtmpUrl(room.StreamKey), 1);
        await ffmpeg.WaitForExitAsync().WaitAsync(ToolTimeout);

        var published = await server.EventuallyEventAsync("StreamPublished", e => e["streamName"]!.GetValue<string>() == room.StreamName);
        var unpublished = await server.EventuallyEventAsync("StreamUnpublished", e => e["streamName"]!.GetValue<string>() == room.StreamName);
        Assert.Equal(room.RoomId, published["roomId"]!.GetValue<long>());
        Assert.Equal("rtmp", published["protocol"]!.GetValue<string>());
        Assert.Equal("h264", published["videoCodec"]!.GetValue<string>());
        Assert.Equal("aac", published["audioCodec"]!.GetValue<string>());
        Assert.Equal(published["publisherId"]!.GetValue<string>(), unpublished["publisherId"]!.GetValue<string>());
        Assert.Equal(room.RoomId, unpublished["roomId"]!.GetValue<long>());
        Assert.Equal("stopped", unpublished["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_late_joiner_gets_metadata_and_sequence_headers_then_a_keyframe_first_and_quickly()
    {
        var room = server.Live.OpenRoom();
        using var ffmpeg = MediaTools.PublishTestStream(server.RtmpUrl(room.StreamKey), 6);
        try
        {
            await server.WaitUntilLiveAsync(room.StreamName);
            await Task.Delay(TimeSpan.FromSeconds(2.5)); // past the first keyframe interval

            await using var player = await RtmpTestClient.ConnectAsync(server.RtmpPort);
            var started = DateTime.UtcNow;
            Assert.Equal("NetStream.Play.Start", await player.PlayAsync(room.StreamName));
            var media = new List<ReceivedMessage>();
            while (media.Count(m => m.Type == RtmpMessageType.Video) < 3)
            {
                var message = await player.ReceiveAsync(TimeSpan.FromSeconds(10));
                Assert.NotNull(message);
                if (message.Type is RtmpMessageType.Video or RtmpMessageType.Audio or RtmpMessageType.DataAmf0)
                {
                    media.Add(message);
                }
            }

            var firstVideo = media.Where(m => m.Type == RtmpMessageType.Video).ToList();
            Assert.True(FlvVideoTagHeader.TryParse(firstVideo[0].Payload, out var header0) && header0.IsSequenceHeader);
            Assert.True(FlvVideoTagHeader.TryParse(firstVideo[1].Payload, out var header1) && header1.IsKeyFrame);
            Assert.True(firstVideo[1].Timestamp >= 2000, $"the cached GOP starts at the second keyframe, not at {firstVideo[1].Timestamp} ms");
            Assert.Contains(media.TakeWhile(m => m != firstVideo[1]), m => m.Type == RtmpMessageType.DataAmf0);
            var timeToFirstFrame = firstVideo[1].ReceivedAt - started;
            Assert.True(timeToFirstFrame < TimeSpan.FromMilliseconds(500), $"first frame after {timeToFirstFrame.TotalMilliseconds} ms");
        }
        finally
        {
            ffmpeg.Kill();
        }
    }

    [Fact]
    public async Task Hevc_over_enhanced_rtmp_is_relayed_byte_for_byte()
    {
        var room = server.Live.OpenRoom();
        await using var publisher = await RtmpTestClient.ConnectAsync(server.RtmpPort);
        Assert.Equal("NetStream.Publish.Start", await publisher.PublishAsync(room.StreamKey));
        // E-RTMP ex-header: IsExHeader | FrameType(3 bits) | PacketType(4 bits), then the FourCC.
        byte[] sequenceStart = [0x90, .. "hvc1"u8, 0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0xB0, 0x00];
        byte[] keyFrame = [0x93, .. "hvc1"u8, 0x00, 0x00, 0x00, 0x10, 0x26, 0x01, 0xAF, 0x42];
        byte[] interFrame = [0xA3, .. "hvc1"u8, 0x00, 0x00, 0x00, 0x08, 0x02, 0x01, 0xD0, 0x11];
        await publisher.SendMediaAsync(RtmpMessageType.Video, 0, sequenceStart);
        await publisher.SendMediaAsync(RtmpMessageType.Video, 0, keyFrame);
        await server.WaitUntilLiveAsync(room.StreamName);

        await using var player = await RtmpTestClient.ConnectAsync(server.RtmpPort);
        Assert.Equal("NetStream.Play.Start", await player.PlayAsync(room.StreamName));
        await publisher.SendMediaAsync(RtmpMessageType.Video, 40, interFrame);
        var video = new List<ReceivedMessage>();
        while (video.Count < 3)
        {
            var message = await player.ReceiveAsync(TimeSpan.FromSeconds(10));
            Assert.NotNull(message);
            if (message.Type == RtmpMessageType.Video)
            {
                video.Add(message);
            }
        }

        Assert.Equal(sequenceStart, video[0].Payload);
        Assert.Equal(keyFrame, video[1].Payload);
        Assert.Equal(interFrame, video[2].Payload);
        Assert.Equal(40u, video[2].Timestamp);
        Assert.Equal("hevc", (await server.StreamStatsAsync(room.StreamName))!["videoCodec"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(false, 0x01)]
    [InlineData(true, 0x05)]
    public async Task An_http_flv_header_promises_audio_only_when_the_publishers_metadata_names_an_audio_codec(bool withAudio, byte flags)
    {
        var room = server.Live.OpenRoom();
        await using var publisher = await RtmpTestClient.ConnectAsync(server.RtmpPort);
        Assert.Equal("NetStream.Publish.Start", await publisher.PublishAsync(room.StreamKey));
        var metadata = new System.Buffers.ArrayBufferWriter<byte>();
        Amf0Writer.WriteString(metadata, "@setDataFrame");
        Amf0Writer.WriteString(metadata, "onMetaData");
        Amf0Writer.WriteEcmaArrayStart(metadata, withAudio ? 2u : 1u);
        Amf0Writer.WriteProperty(metadata, "videocodecid", 7);
        if (withAudio) Amf0Writer.WriteProperty(metadata, "audiocodecid", 10);
        Amf0Writer.WriteObjectEnd(metadata);
        await publisher.SendMediaAsync(RtmpMessageType.DataAmf0, 0, metadata.WrittenMemory);
        await publisher.SendMediaAsync(RtmpMessageType.Video, 0, SyntheticMedia.VideoSequenceHeader);
        await publisher.SendMediaAsync(RtmpMessageType.Video, 0, SyntheticMedia.KeyFrame());
        await server.WaitUntilLiveAsync(room.StreamName);

        using var flv = await server.Http.GetAsync($"/live/{room.StreamName}.flv", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await flv.Content.ReadAsStreamAsync();
        var header = new byte[FlvWriter.FileHeaderLength];
        await body.ReadExactlyAsync(header).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("FLV"u8.ToArray(), header[..3]);
        Assert.Equal(flags, header[4]);
    }

    [Fact]
    public async Task Publisher_disconnect_ends_rtmp_players_with_eof_and_closes_http_flv_responses()
    {
        var room = server.Live.OpenRoom();
        var publisher = await RtmpTestClient.ConnectAsync(server.RtmpPort);
        Assert.Equal("NetStream.Publish.Start", await publisher.PublishAsync(room.StreamKey));
        await SyntheticMedia.SendGopAsync(publisher, 0);
        await server.WaitUntilLiveAsync(room.StreamName);

        await using var player = await RtmpTestClient.ConnectAsync(server.RtmpPort);
        Assert.Equal("NetStream.Play.Start", await player.PlayAsync(room.StreamName));
        using var flv = await server.Http.GetAsync($"/live/{room.StreamName}.flv", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, flv.StatusCode);
        Assert.Equal("video/x-flv", flv.Content.Headers.ContentType?.MediaType);
        var flvBody = flv.Content.ReadAsByteArrayAsync();
        await EventuallyPlayersAsync(room.StreamName, 2);

        publisher.Abort();
        await publisher.DisposeAsync();

        var codes = new List<string>();
        var eof = false;
        while (await player.ReceiveAsync(TimeSpan.FromSeconds(10)) is { } message)
        {
            if (message.StatusCode is { } code)
            {
                codes.Add(code);
            }

            eof |= message.Type == RtmpMessageType.UserControl && RtmpUserControlEvent.Parse(message.Payload).Type == RtmpUserControlEventType.StreamEof;
        }

        Assert.True(eof, "no StreamEOF");
        Assert.Contains("NetStream.Play.UnpublishNotify", codes);
        var body = await flvBody.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("FLV"u8.ToArray(), body[..3]);
        Assert.True(body.Length > FlvWriter.FileHeaderLength + 100);
        await server.WaitUntilGoneAsync(room.StreamName);
    }

    [Fact]
    public async Task Http_playback_of_an_unknown_stream_is_a_404_problem()
    {
        using var flv = await server.Http.GetAsync("/live/nosuchstream.flv");
        using var playlist = await server.Http.GetAsync("/live/nosuchstream/index.m3u8");

        Assert.Equal(HttpStatusCode.NotFound, flv.StatusCode);
        Assert.Equal("application/problem+json", flv.Content.Headers.ContentType?.MediaType);
        Assert.Contains("https://livemicro.dev/problems/stream-not-found", await flv.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, playlist.StatusCode);
    }

    private async Task<System.Text.Json.Nodes.JsonNode> EventuallyPlayersAsync(string streamName, int players)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var stats = await server.StreamStatsAsync(streamName);
            if (stats is not null && stats["players"]!["total"]!.GetValue<int>() >= players)
            {
                return stats;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{streamName} never had {players} players: {stats?.ToJsonString()}");
            await Task.Delay(25);
        }
    }
}
