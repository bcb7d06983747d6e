extern alias rtmp;
using System.Diagnostics;
using LiveMicro.Testing;

namespace LiveMicro.Live.Tests;

/// <summary>The real media server and the real live service together, with ffmpeg as the anchor's encoder.</summary>
[Collection(LiveCollection.Name)]
public sealed class PublishingTests(LiveFixture fixture) : IAsyncLifetime
{
    private ServiceApp<rtmp::Program> _media = null!;
    private int _rtmpPort;

    public Task InitializeAsync()
    {
        _rtmpPort = ServerProcess.FreePort();
        _media = fixture.StartMediaServer(_rtmpPort, ServerProcess.FreePort(), authorizationCacheDuration: TimeSpan.FromSeconds(1));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _media.DisposeAsync();

    private Process Publish(string streamKey) => Process.Start(new ProcessStartInfo("/usr/bin/ffmpeg")
    {
        ArgumentList =
        {
            "-hide_banner", "-v", "error", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=60",
            "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=44100:duration=60",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-pix_fmt", "yuv420p", "-c:a", "aac",
            "-f", "flv", $"rtmp://127.0.0.1:{_rtmpPort}/live/{streamKey}",
        },
        RedirectStandardError = true,
        RedirectStandardInput = true,
    })!;

    private async Task<string> StatusAsync(long roomId) =>
        (await (await fixture.Live.GetAsync($"/api/rooms/{roomId}")).ReadJsonAsync())["status"]!.GetValue<string>();

    private static async Task StopAsync(Process ffmpeg)
    {
        if (!ffmpeg.HasExited) ffmpeg.Kill();
        await ffmpeg.WaitForExitAsync();
        ffmpeg.Dispose();
    }

    [Fact]
    public async Task A_room_goes_live_when_ffmpeg_publishes_with_its_key_and_offline_when_ffmpeg_stops()
    {
        var anchor = await fixture.Auth.RegisterAndLoginAsync();
        var room = await (await fixture.Live.SendAsync(HttpMethod.Post, "/api/rooms", anchor.AccessToken, new { title = "On air", category = "test" })).ReadJsonAsync();
        var roomId = room["id"]!.GetValue<long>();

        var ffmpeg = Publish(room["push"]!["streamKey"]!.GetValue<string>());
        try
        {
            await ApiClient.EventuallyAsync(async () => await StatusAsync(roomId) == "live", "the room live while ffmpeg publishes", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await StopAsync(ffmpeg);
        }

        await ApiClient.EventuallyAsync(async () => await StatusAsync(roomId) == "offline", "the room offline once ffmpeg stopped", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Rotating_the_key_cuts_off_the_publisher_using_the_old_one()
    {
        var anchor = await fixture.Auth.RegisterAndLoginAsync();
        var room = await (await fixture.Live.SendAsync(HttpMethod.Post, "/api/rooms", anchor.AccessToken, new { title = "Rotate", category = "test" })).ReadJsonAsync();
        var roomId = room["id"]!.GetValue<long>();
        var ffmpeg = Publish(room["push"]!["streamKey"]!.GetValue<string>());
        try
        {
            await ApiClient.EventuallyAsync(async () => await StatusAsync(roomId) == "live", "the room live", TimeSpan.FromSeconds(30));

            await fixture.Live.SendAsync(HttpMethod.Post, $"/api/rooms/{roomId}/stream-key", anchor.AccessToken);

            // the media server drops the connection; ffmpeg ends with an error well before its 60 s of input
            Assert.True(await Task.Run(() => ffmpeg.WaitForExit(TimeSpan.FromSeconds(20))), "ffmpeg kept publishing with the old key");
            Assert.NotEqual(0, ffmpeg.ExitCode);
            await ApiClient.EventuallyAsync(async () => await StatusAsync(roomId) == "offline", "the room offline", TimeSpan.FromSeconds(20));
        }
        finally
        {
            await StopAsync(ffmpeg);
        }
    }
}
