using System.Globalization;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LiveMicro.ServiceDefaults.Hosting;

/// <summary>Kestrel's options from the <c>Kestrel</c> section (<c>AddServerHeader</c>, <c>Limits</c>; the host itself
/// reads only endpoints and certificates from it), and Kestrel's connections capped below the process's open-file
/// limit. A crowd beyond it is then turned away at the door (accepted and closed at once) instead of accept running
/// out of descriptors, with every database, Redis and log descriptor failing alongside it. A limit set in code or
/// configuration is left as it is.</summary>
public static class ConnectionLimits
{
    /// <summary>Descriptors kept for what is not a client connection: the PostgreSQL and Redis pools, outgoing HTTP,
    /// assemblies, logs.</summary>
    public const int ReservedDescriptors = 600;

    public static IHostApplicationBuilder AddConnectionLimit(this IHostApplicationBuilder builder)
    {
        var configured = builder.Configuration.GetSection("Kestrel");
        builder.Services.Configure<KestrelServerOptions>(kestrel =>
        {
            configured.Bind(kestrel);
            kestrel.Limits.MaxConcurrentConnections ??= ForOpenFileLimit(ReadOpenFileLimit());
        });
        return builder;
    }

    /// <summary>The connection cap for a descriptor limit; null (no cap) when the limit is unknown.</summary>
    public static long? ForOpenFileLimit(long? openFiles) =>
        openFiles is { } limit ? Math.Max(limit - ReservedDescriptors, limit / 2) : null;

    /// <summary>The soft "Max open files" limit from /proc/self/limits; null where it is unknown or unlimited.</summary>
    public static long? ReadOpenFileLimit(string limitsFile = "/proc/self/limits")
    {
        if (!File.Exists(limitsFile)) return null;
        foreach (var line in File.ReadLines(limitsFile))
        {
            if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
            var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            return long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) ? limit : null;
        }

        return null;
    }
}
