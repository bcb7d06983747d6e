using LiveMicro.Media.Flv;
using LiveMicro.Media.Rtmp;
using LiveMicro.Rtmp.Tests.Support;

namespace LiveMicro.Rtmp.Tests;

/// <summary>A player that stops reading costs a bounded queue, and when it reads again it restarts at a keyframe.</summary>
[Collection(TightLimitsCollection.Name)]
public sealed class SlowPlayerTests(TightLimitsFixture server)
{
    private const int FramesPerGop = 25;
    private const uint FrameMilliseconds = 40;

    [Fact]
    public async Task A_player_that_stops_reading_keeps_a_bounded_queue_then_resumes_at_a_keyframe()
    {
        var room = server.Live.OpenRoom();
        await using var publisher = await RtmpTestClient.ConnectAsync(server.RtmpPort);
        Assert.Equal("NetStream.Publish.Start", await publisher.PublishAsync(room.StreamKey));
        var source = new Source(publisher);
        await publisher.SendMediaAsync(RtmpMessageType.Video, 0, SyntheticMedia.VideoSequenceHeader);
        await publisher.SendMediaAsync(RtmpMessageType.Audio, 0, SyntheticMedia.AudioSequenceHeader);
        await source.SendFramesAsync(1);
        await server.WaitUntilLiveAsync(room.StreamName);

        // A small receive window, so the server's socket buffer, pipe and then queue fill after a few MB.
        await using var player = await RtmpTestClient.ConnectAsync(server.RtmpPort, receiveBufferSize: 16 * 1024);
        Assert.Equal("NetStream.Play.Start", await player.PlayAsync(room.StreamName));
        var received = new List<ReceivedMessage>();
        while (!received.Any(IsFrame))
        {
            received.Add(await player.ReceiveAsync(TimeSpan.FromSeconds(10)) ?? throw new IOException("closed"));
        }

        // The player stops reading; the publisher goes on (4x real time, yet never more than a few frames per merge
        // window, so only a stall can fill the queue) until the socket, the connection's pipe and then the queue are full.
        var longestQueue = 0;
        for (var round = 0; round < 200 && longestQueue < TightLimitsFixture.PlayerQueueCapacity; round++)
        {
            await source.SendFramesAsync(FramesPerGop);
            longestQueue = Math.Max(longestQueue, (await StatsAsync(room.StreamName))["longestPlayerQueue"]!.GetValue<int>());
        }

        Assert.True(longestQueue == TightLimitsFixture.PlayerQueueCapacity, "the stalled player's queue never filled");

        // Still stalled: every further frame is dropped, none piles up.
        await Task.Delay(100);
        var stalled = await StatsAsync(room.StreamName);
        var dropped = stalled["droppedUnits"]!.GetValue<long>();
        const int Rounds = 4;
        for (var round = 0; round < Rounds; round++)
        {
            await source.SendFramesAsync(FramesPerGop);
            await Task.Delay(100);
            longestQueue = Math.Max(longestQueue, (await StatsAsync(room.StreamName))["longestPlayerQueue"]!.GetValue<int>());
        }

        var expectedDropped = dropped + (Rounds * FramesPerGop * 2);
        var waitUntil = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (dropped < expectedDropped && DateTime.UtcNow < waitUntil)
        {
            await Task.Delay(20);
            dropped = (await StatsAsync(room.StreamName))["droppedUnits"]!.GetValue<long>();
        }

        Assert.Equal(expectedDropped, dropped);
        Assert.Equal(stalled["bytesSentToPlayers"]!.GetValue<long>(), (await StatsAsync(room.StreamName))["bytesSentToPlayers"]!.GetValue<long>());
        Assert.InRange(longestQueue, 1, TightLimitsFixture.PlayerQueueCapacity);
        Assert.Equal(1, (await StatsAsync(room.StreamName))["players"]!["total"]!.GetValue<int>());

        // The player reads again; the publisher goes on in real time until the player has caught up and a whole GOP
        // sent after the resume has arrived.
        var stopAt = long.MaxValue;
        var lastVideo = -1L;
        var reading = Task.Run(async () =>
        {
            while (await player.ReceiveAsync(TimeSpan.FromSeconds(20)) is { } message)
            {
                received.Add(message);
                if (IsFrame(message) && message.Type == RtmpMessageType.Video)
                {
                    Volatile.Write(ref lastVideo, message.Timestamp);
                    if (message.Timestamp >= Volatile.Read(ref stopAt))
                    {
                        return;
                    }
                }
            }
        });
        var resumedAt = source.NextTimestamp;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (Volatile.Read(ref lastVideo) < resumedAt && !reading.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the player got nothing sent after it resumed (last video at {Volatile.Read(ref lastVideo)} ms)");
            await source.SendFramesAsync(FramesPerGop, realTime: true);
        }

        Volatile.Write(ref stopAt, source.NextTimestamp + ((FramesPerGop - 1) * FrameMilliseconds));
        await source.SendFramesAsync(FramesPerGop, realTime: true);
        await reading.WaitAsync(TimeSpan.FromSeconds(20));

        var video = received.Where(m => m.Type == RtmpMessageType.Video && IsFrame(m)).ToList();
        var gaps = Enumerable.Range(1, video.Count - 1).Where(i => video[i].Timestamp - video[i - 1].Timestamp > FrameMilliseconds).ToList();
        Assert.NotEmpty(gaps);
        foreach (var gap in gaps)
        {
            Assert.True(IsKeyFrame(video[gap]), $"after the gap {video[gap - 1].Timestamp} -> {video[gap].Timestamp} ms came an inter frame");
        }

        // After the last gap the player got every frame, through the end.
        Assert.Equal(stopAt, video[^1].Timestamp);
        Assert.Equal((int)((video[^1].Timestamp - video[gaps[^1]].Timestamp) / FrameMilliseconds) + 1, video.Count - gaps[^1]);
    }

    private async Task<System.Text.Json.Nodes.JsonNode> StatsAsync(string streamName) =>
        await server.StreamStatsAsync(streamName) ?? throw new Xunit.Sdk.XunitException(
            $"{streamName} is no longer live; the server's last log lines:\n{string.Join('\n', server.Logs.Lines.TakeLast(15))}");

    // Audio or video frames, not sequence headers (the synthetic audio frames are 200 bytes, its header 4).
    private static bool IsFrame(ReceivedMessage message) => message.Type switch
    {
        RtmpMessageType.Video => FlvVideoTagHeader.TryParse(message.Payload, out var video) && !video.IsSequenceHeader,
        RtmpMessageType.Audio => message.Payload.Length > SyntheticMedia.AudioSequenceHeader.Length,
        _ => false,
    };

    private static bool IsKeyFrame(ReceivedMessage message) => FlvVideoTagHeader.TryParse(message.Payload, out var video) && video.IsKeyFrame;

    /// <summary>Synthetic 25 fps video (96 KB keyframes, 48 KB inter frames, a keyframe every 25) with audio.</summary>
    private sealed class Source(RtmpTestClient publisher)
    {
        private int _frame;

        public uint NextTimestamp => (uint)_frame * FrameMilliseconds;

        /// <summary>Real time: one frame per 40 ms; otherwise one per 10 ms.</summary>
        public async Task SendFramesAsync(int count, bool realTime = false)
        {
            for (var i = 0; i < count; i++, _frame++)
            {
                var timestamp = NextTimestamp;
                var video = _frame % FramesPerGop == 0 ? SyntheticMedia.KeyFrame(96 * 1024) : SyntheticMedia.InterFrame(48 * 1024);
                await publisher.SendMediaAsync(RtmpMessageType.Video, timestamp, video);
                await publisher.SendMediaAsync(RtmpMessageType.Audio, timestamp, SyntheticMedia.AudioFrame());
                await Task.Delay(realTime ? (int)FrameMilliseconds : 10);
            }
        }
    }
}
