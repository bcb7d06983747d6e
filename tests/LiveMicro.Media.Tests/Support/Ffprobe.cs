using System.Diagnostics;

namespace LiveMicro.Media.Tests.Support;

/// <summary>A fact that needs ffprobe (installed at /usr/bin on the dev machines); skipped where it is absent.</summary>
public sealed class FfprobeFactAttribute : FactAttribute
{
    public FfprobeFactAttribute()
    {
        if (!File.Exists(Ffprobe.Path))
        {
            Skip = $"{Ffprobe.Path} is not installed.";
        }
    }
}

internal static class Ffprobe
{
    public const string Path = "/usr/bin/ffprobe";

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
