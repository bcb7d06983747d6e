using System.Net;
using System.Text.RegularExpressions;
using LiveMicro.Rtmp.Tests.Support;

namespace LiveMicro.Rtmp.Tests;

/// <summary>The live HLS playlist end to end, with half-second segments (the tight-limits server's configuration).</summary>
[Collection(TightLimitsCollection.Name)]
public sealed partial class HlsWindowTests(TightLimitsFixture server)
{
    private const int WindowSize = 6;

    [Fact]
    public async Task The_playlist_slides_over_six_segments_and_a_segment_is_deleted_only_after_it_left()
    {
        var room = server.Live.OpenRoom();
        // 24 fps with a keyframe every 12 frames: a keyframe every 500 ms, so every segment is one GOP.
        using var ffmpeg = MediaTools.PublishTestStream(server.RtmpUrl(room.StreamKey), 12, frameRate: 24, keyframeInterval: 12);
        try
        {
            await server.WaitUntilLiveAsync(room.StreamName);
            var playlistUrl = $"/live/{room.StreamName}/index.m3u8";
            var sequences = new List<long>();
            var everListed = new HashSet<string>(StringComparer.Ordinal);
            string? first = null;
            var firstLeftPlaylist = false;
            var firstDeleted = false;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!firstDeleted)
            {
                Assert.True(DateTime.UtcNow < deadline, $"the first segment was never deleted; media sequences seen: {string.Join(',', sequences.Distinct())}");
                Assert.False(ffmpeg.HasExited, "the publisher ended before the first segment was deleted");
                using var response = await server.Http.GetAsync(playlistUrl);
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    await Task.Delay(50);
                    continue; // the first segment is not complete yet
                }

                var playlist = await response.Content.ReadAsStringAsync();
                var mediaSequence = long.Parse(MediaSequence().Match(playlist).Groups[1].Value);
                var uris = playlist.Split('\n').Where(line => line.EndsWith(".ts", StringComparison.Ordinal)).ToList();
                Assert.DoesNotContain("#EXT-X-ENDLIST", playlist);
                Assert.InRange(uris.Count, 1, WindowSize);
                Assert.All(playlist.Split('\n').Where(line => line.StartsWith("#EXTINF:", StringComparison.Ordinal)), line => Assert.Equal("#EXTINF:0.500,", line));
                Assert.Contains("#EXT-X-TARGETDURATION:1\n", playlist);
                // The window: consecutive segments, the first of which carries the media sequence number.
                for (var i = 0; i < uris.Count; i++)
                {
                    Assert.EndsWith($"-{mediaSequence + i}.ts", uris[i]);
                }

                if (sequences.Count > 0)
                {
                    Assert.True(mediaSequence >= sequences[^1], $"EXT-X-MEDIA-SEQUENCE went back from {sequences[^1]} to {mediaSequence}");
                }

                sequences.Add(mediaSequence);
                everListed.UnionWith(uris);
                if (everListed.Count > WindowSize)
                {
                    Assert.Equal(WindowSize, uris.Count);
                }

                first ??= mediaSequence == 0 ? uris[0] : throw new InvalidOperationException("the first playlist seen had already slid");
                firstLeftPlaylist |= !uris.Contains(first);

                // Fetched after the playlist: listed means downloadable; deleted only once a playlist no longer listed it.
                using var segment = await server.Http.GetAsync($"/live/{room.StreamName}/{first}");
                if (uris.Contains(first) || !firstLeftPlaylist)
                {
                    Assert.Equal(HttpStatusCode.OK, segment.StatusCode);
                    Assert.Equal(0x47, (await segment.Content.ReadAsByteArrayAsync())[0]);
                }
                else
                {
                    firstDeleted = segment.StatusCode == HttpStatusCode.NotFound;
                    Assert.True(firstDeleted || segment.StatusCode == HttpStatusCode.OK, $"segment answered {segment.StatusCode}");
                }

                await Task.Delay(50);
            }

            Assert.True(everListed.Count > WindowSize + 2, $"only {everListed.Count} segments were cut");
            Assert.True(sequences[^1] >= 3, $"EXT-X-MEDIA-SEQUENCE only reached {sequences[^1]}");
            Assert.Equal(sequences.Distinct().Order(), sequences.Distinct());
        }
        finally
        {
            ffmpeg.Kill();
        }
    }

    [GeneratedRegex(@"#EXT-X-MEDIA-SEQUENCE:(\d+)")]
    private static partial Regex MediaSequence();
}
