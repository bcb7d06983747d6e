using System.Diagnostics;

namespace LiveMicro.Media.Tests.Support;

/// <summary>A fact that runs ffmpeg (installed at /usr/bin on the dev machines); skipped where it is absent.</summary>
public sealed class FfmpegFactAttribute : FactAttribute
{
    public FfmpegFactAttribute()
    {
        if (!File.Exists(Ffmpeg.Path))
        {
            Skip = $"{Ffmpeg.Path} is not installed.";
        }
    }
}

internal static class Ffmpeg
{
    public const string Path = "/usr/bin/ffmpeg";

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
