using System.Globalization;

namespace LiveMicro.Bench.Chat;

/// <summary>CPU time and resident memory of a server process, from /proc.</summary>
public sealed class ProcessUsage(int pid)
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public int Pid => pid;

    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // fields after the command, which is in parentheses and may contain spaces: utime and stime are 14 and 15
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) /
               TicksPerSecond;
    }

    public int OpenFiles() => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    public long RssKb()
    {
        var line = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
}

/// <summary>How busy one CPU was (everything on it: the service, PostgreSQL, Redis), from /proc/stat.</summary>
public sealed class CoreUsage(int cpu)
{
    private (long Busy, long Total) _start = Read(cpu);

    public void Restart() => _start = Read(cpu);

    /// <summary>Busy share of the core since the start, in percent.</summary>
    public double BusyPercent()
    {
        var (busy, total) = Read(cpu);
        return total == _start.Total ? 0 : 100.0 * (busy - _start.Busy) / (total - _start.Total);
    }

    private static (long Busy, long Total) Read(int cpu)
    {
        var prefix = $"cpu{cpu} ";
        var line = File.ReadLines("/proc/stat").First(l => l.StartsWith(prefix, StringComparison.Ordinal));
        // user nice system idle iowait irq softirq steal ...
        var ticks = line[prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        var total = ticks.Take(8).Sum();
        return (total - ticks[3] - ticks[4], total);
    }
}
