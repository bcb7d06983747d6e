using System.Diagnostics;

namespace LiveMicro.Rtmp.Tests.Support;

/// <summary>
/// ffmpeg, ffprobe and rtmpdump from Debian (/usr/bin). scripts/test installs them, so a missing one fails the test
/// with a message instead of skipping it.
/// </summary>
public static class MediaTools
{
    public static string PathOf(string tool)
    {
        var path = $"/usr/bin/{tool}";
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not installed: run scripts/test, which installs ffmpeg and rtmpdump.");
    }

    public static Process Start(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(PathOf(tool)) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    /// <summary>Runs a tool to its end; returns exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(TimeSpan timeout, string tool, params string[] arguments)
    {
        using var process = Start(tool, arguments);
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', arguments)} did not finish within {timeout}: {await errors}");
        }

        return (process.ExitCode, await output, await errors);
    }

    /// <summary>
    /// ffmpeg publishing a generated H.264 + AAC test stream in real time: testsrc2 320x240 at 25 fps with a keyframe
    /// every 50 frames (2 s) unless told otherwise, a 1 kHz sine, for <paramref name="seconds"/>.
    /// </summary>
    public static Process PublishTestStream(string rtmpUrl, int seconds, int frameRate = 25, int keyframeInterval = 50) => Start("ffmpeg",
        "-hide_banner", "-v", "error", "-re",
        "-f", "lavfi", "-i", $"testsrc2=size=320x240:rate={frameRate}:duration={seconds}",
        "-f", "lavfi", "-i", $"sine=frequency=1000:sample_rate=44100:duration={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", $"{keyframeInterval}", "-keyint_min", $"{keyframeInterval}", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "64k",
        "-f", "flv", rtmpUrl);

    /// <summary>ffprobe's codec_name,width,height,nb_read_frames lines for every stream of <paramref name="input"/>.</summary>
    public static async Task<string[]> ProbeAsync(string input, TimeSpan timeout)
    {
        var (_, output, errors) = await RunAsync(timeout, "ffprobe", "-v", "error", "-count_frames",
            "-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", input);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length > 0, $"ffprobe read nothing from {input}: {errors}");
        return lines;
    }
}
