using System.Buffers.Binary;
using LiveMicro.Media.Rtmp;
using LiveMicro.Rtmp.Tests.Support;

namespace LiveMicro.Rtmp.Tests;

/// <summary>Hostile or broken peers are refused one by one while another stream keeps playing.</summary>
[Collection(RtmpCollection.Name)]
public sealed class BadInputTests(RtmpServerFixture server)
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Bad_peers_are_refused_and_a_stream_keeps_playing_meanwhile()
    {
        var room = server.Live.OpenRoom();
        await using var publisher = await RtmpTestClient.ConnectAsync(server.RtmpPort);
        Assert.Equal("NetStream.Publish.Start", await publisher.PublishAsync(room.StreamKey));
        using var stopPublishing = new CancellationTokenSource();
        var publishing = PublishContinuouslyAsync(publisher, stopPublishing.Token);
        await server.WaitUntilLiveAsync(room.StreamName);
        await using var player = await RtmpTestClient.ConnectAsync(server.RtmpPort);
        Assert.Equal("NetStream.Play.Start", await player.PlayAsync(room.StreamName));
        var videoBefore = await CountVideoAsync(player, TimeSpan.FromMilliseconds(300));

        // Garbage instead of a handshake: C0 is not version 3.
        await using (var garbage = await RtmpTestClient.OpenAsync(server.RtmpPort))
        {
            await garbage.SendRawAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            Assert.True(await garbage.WaitForCloseAsync(CloseTimeout), "garbage handshake");
        }

        // Set Chunk Size 0x7FFFFFFF.
        await using (var hugeChunks = await RtmpTestClient.OpenAsync(server.RtmpPort))
        {
            await hugeChunks.HandshakeAsync();
            var payload = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(payload, 0x7FFFFFFF);
            hugeChunks.WriteMessage(2, RtmpMessageType.SetChunkSize, 0, payload);
            await hugeChunks.FlushAsync();
            Assert.True(await hugeChunks.WaitForCloseAsync(CloseTimeout), "chunk size 0x7FFFFFFF");
        }

        // A connect command whose AMF0 string claims 65535 bytes in a 6-byte message.
        await using (var longString = await RtmpTestClient.OpenAsync(server.RtmpPort))
        {
            await longString.HandshakeAsync();
            longString.WriteMessage(3, RtmpMessageType.CommandAmf0, 0, [0x02, 0xFF, 0xFF, (byte)'c', (byte)'o', (byte)'n']);
            await longString.FlushAsync();
            Assert.True(await longString.WaitForCloseAsync(CloseTimeout), "AMF0 string longer than its message");
        }

        // A second publisher that vanishes in the middle of a chunk.
        var vanishingRoom = server.Live.OpenRoom();
        var vanishing = await RtmpTestClient.ConnectAsync(server.RtmpPort);
        Assert.Equal("NetStream.Publish.Start", await vanishing.PublishAsync(vanishingRoom.StreamKey));
        await SyntheticMedia.SendGopAsync(vanishing, 0);
        await server.WaitUntilLiveAsync(vanishingRoom.StreamName);
        // Header of a 100 kB video message (type 0 on chunk stream 7), then 50 bytes of it, then gone.
        byte[] partial = [0x07, 0x00, 0x00, 0x00, 0x01, 0x86, 0xA0, 0x09, 0x01, 0x00, 0x00, 0x00, .. new byte[50]];
        await vanishing.SendRawAsync(partial);
        vanishing.Abort();
        await vanishing.DisposeAsync();
        await server.WaitUntilGoneAsync(vanishingRoom.StreamName);
        var ended = await server.EventuallyEventAsync("StreamUnpublished", e => e["streamName"]!.GetValue<string>() == vanishingRoom.StreamName);
        Assert.Contains(ended["reason"]!.GetValue<string>(), new[] { "disconnected mid-message", "connection reset" });

        var videoAfter = await CountVideoAsync(player, TimeSpan.FromMilliseconds(500));
        stopPublishing.Cancel();
        await publishing;
        Assert.True(videoBefore > 0 && videoAfter > 5, $"the healthy stream stalled: {videoBefore} then {videoAfter} video messages");
        Assert.NotNull(await server.StreamStatsAsync(room.StreamName));
        Assert.Contains(server.Logs.Lines, line => line.Contains("UnsupportedVersion", StringComparison.Ordinal));
        Assert.Contains(server.Logs.Lines, line => line.Contains("ChunkSizeOutOfRange", StringComparison.Ordinal));
        Assert.Contains(server.Logs.Lines, line => line.Contains("MalformedCommand", StringComparison.Ordinal));
    }

    private static async Task PublishContinuouslyAsync(RtmpTestClient publisher, CancellationToken cancellationToken)
    {
        await publisher.SendMediaAsync(RtmpMessageType.Video, 0, SyntheticMedia.VideoSequenceHeader);
        for (uint frame = 0; !cancellationToken.IsCancellationRequested; frame++)
        {
            var timestamp = frame * 40;
            await publisher.SendMediaAsync(RtmpMessageType.Video, timestamp, frame % 25 == 0 ? SyntheticMedia.KeyFrame() : SyntheticMedia.InterFrame());
            await publisher.SendMediaAsync(RtmpMessageType.Audio, timestamp, SyntheticMedia.AudioFrame());
            await Task.Delay(40, CancellationToken.None);
        }
    }

    private static async Task<int> CountVideoAsync(RtmpTestClient player, TimeSpan duration)
    {
        var count = 0;
        var deadline = DateTime.UtcNow + duration;
        while (DateTime.UtcNow < deadline)
        {
            var message = await player.ReceiveAsync(TimeSpan.FromSeconds(5));
            Assert.NotNull(message);
            count += message.Type == RtmpMessageType.Video ? 1 : 0;
        }

        return count;
    }
}
