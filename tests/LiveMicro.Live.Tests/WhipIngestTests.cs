extern alias rtmp;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LiveMicro.Testing;

namespace LiveMicro.Live.Tests;

/// <summary>Debian's Chromium publishing its fake camera and microphone over WHIP to the live service, which relays them
/// to the real media server as the room's publish: the room goes live and HTTP-FLV plays the browser's video and
/// audio.</summary>
[Collection(LiveCollection.Name)]
public sealed class WhipIngestTests(LiveFixture fixture) : IAsyncLifetime
{
    private ServiceApp<rtmp::Program> _media = null!;
    private int _httpPort;
    private ChromiumPublisher _chromium = null!;

    public async Task InitializeAsync()
    {
        _httpPort = ServerProcess.FreePort();
        _media = fixture.StartMediaServer(fixture.RtmpPort, _httpPort);
        _chromium = await ChromiumPublisher.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        await _media.DisposeAsync();
    }

    private async Task<(long Id, string StreamKey, string StreamName)> CreateRoomAsync()
    {
        var anchor = await fixture.Auth.RegisterAndLoginAsync();
        var room = await (await fixture.Live.SendAsync(HttpMethod.Post, "/api/rooms", anchor.AccessToken, new { title = "From a browser", category = "test" })).ReadJsonAsync();
        return (room["id"]!.GetValue<long>(), room["push"]!["streamKey"]!.GetValue<string>(), room["streamName"]!.GetValue<string>());
    }

    private Task<HttpResponseMessage> PostOfferAsync(long roomId, string? streamKey, string body, string contentType = "application/sdp")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/rooms/{roomId}/whip") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (streamKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", streamKey);
        return fixture.Live.SendAsync(request);
    }

    private async Task<string> StatusAsync(long roomId) =>
        (await (await fixture.Live.GetAsync($"/api/rooms/{roomId}")).ReadJsonAsync())["status"]!.GetValue<string>();

    [Fact]
    public async Task A_browser_publishing_over_WHIP_puts_the_room_live_and_its_video_and_audio_play_over_HTTP_FLV_until_DELETE()
    {
        var (roomId, streamKey, streamName) = await CreateRoomAsync();
        var page = await _chromium.OpenAsync();
        var offer = await ChromiumPublisher.OfferAsync(page);

        using var created = await PostOfferAsync(roomId, streamKey, offer);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("application/sdp", created.Content.Headers.ContentType!.MediaType);
        var session = created.Headers.Location!;
        Assert.StartsWith($"/api/rooms/{roomId}/whip/", session.OriginalString);
        var answer = await created.Content.ReadAsStringAsync();
        Assert.Contains("a=ice-lite", answer);
        await ChromiumPublisher.AnswerAsync(page, answer);
        await page.WaitForFunctionAsync("pc.connectionState === 'connected'", null, new() { Timeout = 20_000 });

        await ApiClient.EventuallyAsync(async () => await StatusAsync(roomId) == "live", "the room live while the browser publishes", TimeSpan.FromSeconds(30));
        var (output, errors) = await ProbeAsync($"http://127.0.0.1:{_httpPort}/live/{streamName}.flv");
        Assert.Equal("", errors);
        // the camera's H.264 as it came, the microphone's Opus as AAC
        Assert.Equal(["aac,audio", "h264,video,320,240"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim().TrimEnd(',')).Order());

        using var ended = await fixture.Live.SendAsync(new HttpRequestMessage(HttpMethod.Delete, session)
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", streamKey) },
        });
        Assert.Equal(HttpStatusCode.OK, ended.StatusCode);
        await ApiClient.EventuallyAsync(async () => await StatusAsync(roomId) == "offline", "the room offline once the session ended", TimeSpan.FromSeconds(30));
        using var again = await fixture.Live.SendAsync(new HttpRequestMessage(HttpMethod.Delete, session)
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", streamKey) },
        });
        await again.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Two_browsers_publishing_to_two_rooms_share_the_UDP_port_and_each_room_plays_its_own_stream()
    {
        var rooms = new[] { await CreateRoomAsync(), await CreateRoomAsync() };
        var sessions = new List<Uri>();
        foreach (var (roomId, streamKey, _) in rooms)
        {
            var page = await _chromium.OpenAsync();
            using var created = await PostOfferAsync(roomId, streamKey, await ChromiumPublisher.OfferAsync(page));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            sessions.Add(created.Headers.Location!);
            await ChromiumPublisher.AnswerAsync(page, await created.Content.ReadAsStringAsync());
        }

        foreach (var (roomId, _, streamName) in rooms)
        {
            await ApiClient.EventuallyAsync(async () => await StatusAsync(roomId) == "live", $"room {roomId} live", TimeSpan.FromSeconds(30));
            var (output, errors) = await ProbeAsync($"http://127.0.0.1:{_httpPort}/live/{streamName}.flv");
            Assert.Equal("", errors);
            Assert.Contains("h264,video,320,240", output);
        }

        Assert.NotEqual(sessions[0], sessions[1]);
        for (var i = 0; i < rooms.Length; i++)
        {
            using var ended = await fixture.Live.SendAsync(new HttpRequestMessage(HttpMethod.Delete, sessions[i])
            {
                Headers = { Authorization = new AuthenticationHeaderValue("Bearer", rooms[i].StreamKey) },
            });
            Assert.Equal(HttpStatusCode.OK, ended.StatusCode);
        }
    }

    [Fact]
    public async Task A_browser_that_goes_away_without_DELETE_is_timed_out_and_the_room_goes_offline()
    {
        var (roomId, streamKey, _) = await CreateRoomAsync();
        var page = await _chromium.OpenAsync();
        using var created = await PostOfferAsync(roomId, streamKey, await ChromiumPublisher.OfferAsync(page));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await ChromiumPublisher.AnswerAsync(page, await created.Content.ReadAsStringAsync());
        await ApiClient.EventuallyAsync(async () => await StatusAsync(roomId) == "live", "the room live while the browser publishes", TimeSpan.FromSeconds(30));
        // still live after more than the consent timeout: the browser's checks keep the session
        await Task.Delay(TimeSpan.FromSeconds(10));
        Assert.Equal("live", await StatusAsync(roomId));

        await page.CloseAsync();

        await ApiClient.EventuallyAsync(async () => await StatusAsync(roomId) == "offline", "the room offline once the browser is gone", TimeSpan.FromSeconds(40));
        using var ended = await fixture.Live.SendAsync(new HttpRequestMessage(HttpMethod.Delete, created.Headers.Location)
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", streamKey) },
        });
        await ended.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_wrong_key_another_body_type_an_unknown_room_or_an_unanswerable_offer_is_refused_with_a_problem()
    {
        var (roomId, streamKey, _) = await CreateRoomAsync();

        using var wrongKey = await PostOfferAsync(roomId, "not-the-key", "v=0\r\n");
        var problem = await wrongKey.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.EndsWith("/stream-key-invalid", problem["type"]!.GetValue<string>());
        Assert.Equal("Bearer", wrongKey.Headers.WwwAuthenticate.Single().Scheme);

        await (await PostOfferAsync(roomId, null, "v=0\r\n")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await PostOfferAsync(roomId, streamKey, "{}", "application/json")).AssertProblemAsync(HttpStatusCode.UnsupportedMediaType);
        await (await PostOfferAsync(987_654_321, streamKey, "v=0\r\n")).AssertProblemAsync(HttpStatusCode.NotFound);

        var unanswerable = await (await PostOfferAsync(roomId, streamKey, "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"))
            .AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.EndsWith("/invalid-offer", unanswerable["type"]!.GetValue<string>());
        Assert.Contains("H.264", unanswerable["detail"]!.GetValue<string>());

        await (await PostOfferAsync(roomId, streamKey, "v=0\r\n" + new string('a', 70_000))).AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        using var unknownSession = await fixture.Live.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/rooms/{roomId}/whip/0123")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", streamKey) },
        });
        await unknownSession.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("WebRtc:Candidates:0", "media.example", "WebRtc:Candidates")]
    [InlineData("WebRtc:RtmpIngestUrl", "http://rtmp:1935/live", "WebRtc:RtmpIngestUrl")]
    public async Task A_live_service_with_a_bad_WebRTC_setting_does_not_start_and_says_which(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?>(fixture.LiveSettings) { [key] = value };
        await using var app = new ServiceApp<Program>(settings);

        var refused = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.Contains(named, refused.ToString());
    }

    private static async Task<(string Output, string Errors)> ProbeAsync(string url)
    {
        var start = new ProcessStartInfo("/usr/bin/ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-v", "error", "-rw_timeout", "15000000", "-show_entries", "stream=codec_name,codec_type,width,height", "-of", "csv=p=0", url })
        {
            start.ArgumentList.Add(argument);
        }

        using var probe = Process.Start(start)!;
        var output = probe.StandardOutput.ReadToEndAsync();
        var errors = probe.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await probe.WaitForExitAsync(timeout.Token);
        return (await output, await errors);
    }
}
