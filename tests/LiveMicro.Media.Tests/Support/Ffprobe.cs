using System.Diagnostics;

namespace LiveMicro.Media.Tests.Support;

internal static class Ffprobe
{
    /// <summary>/usr/bin/ffprobe; scripts/test installs it (Debian's ffmpeg), so a missing one is a failure, not a skip.</summary>
    public static string Path => File.Exists("/usr/bin/ffprobe")
        ? "/usr/bin/ffprobe"
        : throw new FileNotFoundException("/usr/bin/ffprobe is not installed: run scripts/test, which installs ffmpeg.");

    public static (string Output, string Errors) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "ffprobe did not finish within a minute");
        return (output.Result, errors.Result);
    }
}
