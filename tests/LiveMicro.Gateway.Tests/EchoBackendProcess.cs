using LiveMicro.Testing;

namespace LiveMicro.Gateway.Tests;

/// <summary>One instance of a service behind the gateway: the echo backend as a real process, registered in etcd
/// under the service's name like a real service would be.</summary>
public sealed class EchoBackendProcess : IAsyncDisposable
{
    private readonly ServerProcess _process;

    private EchoBackendProcess(ServerProcess process, string service, string instance, int port)
    {
        _process = process;
        Service = service;
        Instance = instance;
        Url = $"http://127.0.0.1:{port}";
    }

    public string Service { get; }

    public string Instance { get; }

    public string Url { get; }

    public static async Task<EchoBackendProcess> StartAsync(string service, string instance, string? etcdEndpoint)
    {
        var port = ServerProcess.FreePort();
        var process = ServerProcess.Start("dotnet", [DllPath(), "--urls", $"http://127.0.0.1:{port}"], environment: new Dictionary<string, string>
        {
            ["Service"] = service,
            ["Discovery__Etcd__Endpoint"] = etcdEndpoint ?? "",
            ["Discovery__InstanceId"] = instance,
            ["Discovery__LeaseTtl"] = "00:00:03",
            ["Logging__LogLevel__Default"] = "Warning",
        });
        await process.WaitForPortAsync(port, TimeSpan.FromSeconds(30), $"echo backend {service}/{instance}");
        return new EchoBackendProcess(process, service, instance, port);
    }

    /// <summary>Kills the process with no goodbye: its lease stays in etcd until it expires.</summary>
    public ValueTask KillAsync() => _process.DisposeAsync();

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static string DllPath()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "LiveMicro.sln"))) directory = directory.Parent;
        if (directory is null) throw new InvalidOperationException("LiveMicro.sln not found above " + AppContext.BaseDirectory);
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dll = Path.Combine(directory.FullName, "bench", "gateway", "EchoBackend", "bin", configuration, "net10.0", "LiveMicro.Bench.EchoBackend.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the echo backend first", dll);
    }
}
