using System.Net;
using LiveMicro.Media.Rtmp;
using LiveMicro.Rtmp.Tests.Support;

namespace LiveMicro.Rtmp.Tests;

/// <summary>Publishing needs a key the live service knows; the public name is for playing only.</summary>
[Collection(RtmpCollection.Name)]
public sealed class PublishAuthorizationTests(RtmpServerFixture server)
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task An_unknown_key_gets_BadName_and_the_connection_closes()
    {
        await using var publisher = await RtmpTestClient.ConnectAsync(server.RtmpPort);

        Assert.Equal("NetStream.Publish.BadName", await publisher.PublishAsync("no-such-key"));
        Assert.True(await publisher.WaitForCloseAsync(CloseTimeout));
    }

    [Fact]
    public async Task The_relay_publisher_is_refused_with_the_servers_code_and_one_with_a_known_key_publishes()
    {
        var refused = await Assert.ThrowsAsync<RtmpPublishRefusedException>(() =>
            RtmpPublisher.PublishAsync(new Uri($"rtmp://127.0.0.1:{server.RtmpPort}/live/no-such-key"), CancellationToken.None));
        Assert.Equal("NetStream.Publish.BadName", refused.Code);
        await Assert.ThrowsAsync<ArgumentException>(() =>
            RtmpPublisher.PublishAsync(new Uri($"rtmp://127.0.0.1:{server.RtmpPort}/live"), CancellationToken.None));

        var room = server.Live.OpenRoom();
        await using var publisher = await RtmpPublisher.PublishAsync(new Uri($"rtmp://127.0.0.1:{server.RtmpPort}/live/{room.StreamKey}"), CancellationToken.None);
        await publisher.SendAsync(RtmpMessageType.Video, 0, SyntheticMedia.VideoSequenceHeader, CancellationToken.None);
        await publisher.SendAsync(RtmpMessageType.Video, 0, SyntheticMedia.KeyFrame(), CancellationToken.None);
        await server.WaitUntilLiveAsync(room.StreamName);
        Assert.False(publisher.Closed.IsCancellationRequested);
    }

    [Fact]
    public async Task The_key_of_an_ended_room_gets_BadName()
    {
        var room = server.Live.OpenRoom();
        server.Live.EndRoom(room);
        await using var publisher = await RtmpTestClient.ConnectAsync(server.RtmpPort);

        Assert.Equal("NetStream.Publish.BadName", await publisher.PublishAsync(room.StreamKey));
        Assert.True(await publisher.WaitForCloseAsync(CloseTimeout));
    }

    [Fact]
    public async Task Ffmpeg_with_a_wrong_key_fails()
    {
        using var ffmpeg = MediaTools.PublishTestStream(server.RtmpUrl("wrong-key"), 2);
        var errors = ffmpeg.StandardError.ReadToEndAsync();
        await ffmpeg.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var output = await errors;
        Assert.NotEqual(0, ffmpeg.ExitCode);
        Assert.True(output.Contains("Unknown or ended stream key", StringComparison.Ordinal), output);
    }

    [Fact]
    public async Task A_second_publisher_is_refused_while_the_first_sends_and_takes_over_once_it_is_quiet()
    {
        var room = server.Live.OpenRoom();
        await using var first = await RtmpTestClient.ConnectAsync(server.RtmpPort);
        Assert.Equal("NetStream.Publish.Start", await first.PublishAsync(room.StreamKey));
        await SyntheticMedia.SendGopAsync(first, 0);
        await server.WaitUntilLiveAsync(room.StreamName);
        var firstPublisherId = (await server.StreamStatsAsync(room.StreamName))!["publisherId"]!.GetValue<string>();

        await using (var second = await RtmpTestClient.ConnectAsync(server.RtmpPort))
        {
            Assert.Equal("NetStream.Publish.BadName", await second.PublishAsync(room.StreamKey));
            Assert.True(await second.WaitForCloseAsync(CloseTimeout));
        }

        // The first encoder's network drops: its connection stays open but silent (Rtmp:PublisherTakeoverAfter is 1 s here).
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        await using var reconnected = await RtmpTestClient.ConnectAsync(server.RtmpPort);
        Assert.Equal("NetStream.Publish.Start", await reconnected.PublishAsync(room.StreamKey));
        await SyntheticMedia.SendGopAsync(reconnected, 0);

        Assert.True(await first.WaitForCloseAsync(CloseTimeout), "the silent publisher was not disconnected");
        var replaced = await server.EventuallyEventAsync("StreamUnpublished", e => e["publisherId"]!.GetValue<string>() == firstPublisherId);
        Assert.Equal("replaced", replaced["reason"]!.GetValue<string>());
        await server.WaitUntilLiveAsync(room.StreamName);
        Assert.NotEqual(firstPublisherId, (await server.StreamStatsAsync(room.StreamName))!["publisherId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Playing_by_the_secret_key_is_refused_over_rtmp_and_http()
    {
        var room = server.Live.OpenRoom();
        await using var publisher = await RtmpTestClient.ConnectAsync(server.RtmpPort);
        Assert.Equal("NetStream.Publish.Start", await publisher.PublishAsync(room.StreamKey));
        await SyntheticMedia.SendGopAsync(publisher, 0);
        await server.WaitUntilLiveAsync(room.StreamName);

        await using var player = await RtmpTestClient.ConnectAsync(server.RtmpPort);
        Assert.Equal("NetStream.Play.Failed", await player.PlayAsync(room.StreamKey));
        Assert.True(await player.WaitForCloseAsync(CloseTimeout));
        using var flv = await server.Http.GetAsync($"/live/{room.StreamKey}.flv");
        Assert.Equal(HttpStatusCode.Forbidden, flv.StatusCode);
        Assert.Contains("https://livemicro.dev/problems/stream-key-not-playable", await flv.Content.ReadAsStringAsync());
        using var hls = await server.Http.GetAsync($"/live/{room.StreamKey}/index.m3u8");
        Assert.Equal(HttpStatusCode.Forbidden, hls.StatusCode);
    }

    [Fact]
    public async Task Playing_a_stream_that_is_not_live_gets_StreamNotFound()
    {
        await using var player = await RtmpTestClient.ConnectAsync(server.RtmpPort);

        Assert.Equal("NetStream.Play.StreamNotFound", await player.PlayAsync("nobody-here"));
        Assert.True(await player.WaitForCloseAsync(CloseTimeout));
    }

    [Fact]
    public async Task A_player_that_leaves_is_removed_from_the_stream()
    {
        var room = server.Live.OpenRoom();
        await using var publisher = await RtmpTestClient.ConnectAsync(server.RtmpPort);
        Assert.Equal("NetStream.Publish.Start", await publisher.PublishAsync(room.StreamKey));
        await SyntheticMedia.SendGopAsync(publisher, 0);
        await server.WaitUntilLiveAsync(room.StreamName);

        var player = await RtmpTestClient.ConnectAsync(server.RtmpPort);
        Assert.Equal("NetStream.Play.Start", await player.PlayAsync(room.StreamName));
        Assert.Equal(1, (await server.StreamStatsAsync(room.StreamName))!["players"]!["rtmp"]!.GetValue<int>());
        player.Abort();
        await player.DisposeAsync();
        await SyntheticMedia.SendGopAsync(publisher, 1000);

        var deadline = DateTime.UtcNow + CloseTimeout;
        while ((await server.StreamStatsAsync(room.StreamName))!["players"]!["total"]!.GetValue<int>() != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the player is still attached");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_connection_that_never_completes_the_handshake_times_out()
    {
        await using var idle = await RtmpTestClient.OpenAsync(server.RtmpPort);
        await idle.SendRawAsync(new byte[] { RtmpServerHandshake.ProtocolVersion, 0, 0 });

        Assert.True(await idle.WaitForCloseAsync(TimeSpan.FromSeconds(6)), "Rtmp:HandshakeTimeout is 2 s here");
    }
}
