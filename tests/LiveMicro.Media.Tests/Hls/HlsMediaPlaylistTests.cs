using LiveMicro.Media.Hls;

namespace LiveMicro.Media.Tests.Hls;

public class HlsMediaPlaylistTests
{
    [Fact]
    public void Playlist_lists_segments_with_version_target_duration_and_media_sequence()
    {
        var playlist = new HlsMediaPlaylist(windowSize: 3, targetDuration: 4);
        playlist.AddSegment("seg0.ts", 4);
        playlist.AddSegment("seg1.ts", 3.96);

        Assert.Equal(
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n" +
            "#EXTINF:4.000,\nseg0.ts\n#EXTINF:3.960,\nseg1.ts\n",
            playlist.Write());
    }

    [Fact]
    public void Sliding_window_drops_old_segments_and_advances_the_media_sequence()
    {
        var playlist = new HlsMediaPlaylist(windowSize: 2, targetDuration: 2);
        Assert.Null(playlist.AddSegment("a.ts", 2));
        Assert.Null(playlist.AddSegment("b.ts", 2));

        var removed = playlist.AddSegment("c.ts", 2);

        Assert.Equal("a.ts", removed?.Uri);
        Assert.Equal(1, playlist.MediaSequence);
        Assert.Equal(["b.ts", "c.ts"], playlist.Segments.Select(s => s.Uri));
        Assert.Contains("#EXT-X-MEDIA-SEQUENCE:1\n", playlist.Write(), StringComparison.Ordinal);
    }

    [Fact]
    public void Discontinuity_is_tagged_and_counted_once_it_leaves_the_window()
    {
        var playlist = new HlsMediaPlaylist(windowSize: 2, targetDuration: 2);
        playlist.AddSegment("a.ts", 2);
        playlist.AddSegment("b.ts", 2, isDiscontinuity: true);
        Assert.Contains("#EXT-X-DISCONTINUITY\n#EXTINF:2.000,\nb.ts\n", playlist.Write(), StringComparison.Ordinal);
        Assert.DoesNotContain("DISCONTINUITY-SEQUENCE", playlist.Write(), StringComparison.Ordinal);

        playlist.AddSegment("c.ts", 2);
        playlist.AddSegment("d.ts", 2);

        Assert.Equal(1, playlist.DiscontinuitySequence);
        Assert.Equal(
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:2\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n" +
            "#EXTINF:2.000,\nc.ts\n#EXTINF:2.000,\nd.ts\n",
            playlist.Write());
    }

    [Fact]
    public void Segment_longer_than_the_target_raises_it_to_its_rounded_duration()
    {
        var playlist = new HlsMediaPlaylist(windowSize: 3, targetDuration: 2);

        playlist.AddSegment("a.ts", 2.49);
        Assert.Equal(2, playlist.TargetDuration);
        playlist.AddSegment("b.ts", 4.5);

        Assert.Equal(5, playlist.TargetDuration);
    }

    [Fact]
    public void Ended_playlist_carries_endlist_and_refuses_more_segments()
    {
        var playlist = new HlsMediaPlaylist(windowSize: 3, targetDuration: 2);
        playlist.AddSegment("a.ts", 2);

        playlist.End();

        Assert.EndsWith("a.ts\n#EXT-X-ENDLIST\n", playlist.Write(), StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => playlist.AddSegment("b.ts", 2));
    }

    [Theory]
    [InlineData("a.ts\n#EXT-X-ENDLIST")]
    [InlineData("a.ts\r")]
    [InlineData("")]
    public void Segment_uri_that_could_inject_tags_is_refused(string uri)
    {
        var playlist = new HlsMediaPlaylist(windowSize: 3, targetDuration: 2);

        Assert.ThrowsAny<ArgumentException>(() => playlist.AddSegment(uri, 2));
    }

    [Fact]
    public void Durations_use_a_decimal_point_whatever_the_culture()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        var commaDecimal = (System.Globalization.CultureInfo)System.Globalization.CultureInfo.InvariantCulture.Clone();
        commaDecimal.NumberFormat.NumberDecimalSeparator = ",";
        System.Globalization.CultureInfo.CurrentCulture = commaDecimal;
        try
        {
            var playlist = new HlsMediaPlaylist(windowSize: 3, targetDuration: 2);
            playlist.AddSegment("a.ts", 1.5);

            Assert.Contains("#EXTINF:1.500,", playlist.Write(), StringComparison.Ordinal);
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }
}
