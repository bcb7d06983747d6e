using Microsoft.Playwright;

namespace LiveMicro.Testing;

/// <summary>
/// Debian's Chromium (/usr/bin/chromium, which scripts/test installs; Playwright never downloads a browser here),
/// headless, with a fake camera and microphone, on a page that publishes them the way a WHIP client does:
/// <see cref="OfferAsync"/> gives the offer of a sendonly transceiver per track, <see cref="AnswerAsync"/> takes the
/// server's answer.
/// </summary>
public sealed class ChromiumPublisher : IAsyncDisposable
{
    private static readonly string[] Flags =
    [
        // the closed network here refuses Chromium's background connections; loopback candidates are off by default
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        "--allow-loopback-in-peer-connection",
    ];

    private const string Page = """
        <html><body><script>
        window.publish = async () => {
          const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: true });
          window.pc = new RTCPeerConnection();
          for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly' });
          await pc.setLocalDescription(await pc.createOffer());
          return pc.localDescription.sdp;
        };
        window.answer = async sdp => { await pc.setRemoteDescription({ type: 'answer', sdp }); };
        </script></body></html>
        """;

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private ChromiumPublisher(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public static async Task<ChromiumPublisher> LaunchAsync()
    {
        if (!File.Exists("/usr/bin/chromium")) throw new FileNotFoundException("/usr/bin/chromium is not installed: run scripts/test, which installs it.");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = Flags });
        return new ChromiumPublisher(playwright, browser);
    }

    /// <summary>A new page's offer; the page then waits for <see cref="AnswerAsync"/>.</summary>
    public async Task<IPage> OpenAsync()
    {
        var page = await _browser.NewPageAsync();
        // a file is a secure context, which getUserMedia needs (about:blank is not)
        var path = Path.Combine(Path.GetTempPath(), $"livemicro-publisher-{Guid.NewGuid():N}.html");
        await File.WriteAllTextAsync(path, Page);
        try
        {
            await page.GotoAsync(new Uri(path).AbsoluteUri);
        }
        finally
        {
            File.Delete(path);
        }

        return page;
    }

    public static Task<string> OfferAsync(IPage page) => page.EvaluateAsync<string>("publish()");

    public static Task AnswerAsync(IPage page, string answer) => page.EvaluateAsync("sdp => answer(sdp)", answer);

    /// <summary>The page's RTCPeerConnection.connectionState.</summary>
    public static Task<string> ConnectionStateAsync(IPage page) => page.EvaluateAsync<string>("pc.connectionState");

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
