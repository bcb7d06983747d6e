using System.Diagnostics;

namespace LiveMicro.Media.Tests.Support;

internal static class Ffmpeg
{
    /// <summary>/usr/bin/ffmpeg; scripts/test installs it (Debian's ffmpeg), so a missing one is a failure, not a skip.</summary>
    public static string Path => File.Exists("/usr/bin/ffmpeg")
        ? "/usr/bin/ffmpeg"
        : throw new FileNotFoundException("/usr/bin/ffmpeg is not installed: run scripts/test, which installs ffmpeg.");

    public static Process Start(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }
}
