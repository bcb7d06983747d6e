namespace LiveMicro.Testing;

/// <summary>A real single-member etcd on free loopback ports with a data dir of its own.</summary>
public sealed class EtcdServer : IAsyncDisposable
{
    private readonly ServerProcess _process;
    private readonly string _directory;

    private EtcdServer(ServerProcess process, string directory, int clientPort)
    {
        _process = process;
        _directory = directory;
        ClientPort = clientPort;
    }

    public int ClientPort { get; }

    public string Endpoint => $"http://127.0.0.1:{ClientPort}";

    public static async Task<EtcdServer> StartAsync()
    {
        var executable = ServerProcess.FindExecutable("etcd");
        var directory = ServerProcess.CreateTempDirectory("etcd");
        var clientPort = ServerProcess.FreePort();
        var peerPort = ServerProcess.FreePort();
        var client = $"http://127.0.0.1:{clientPort}";
        var peer = $"http://127.0.0.1:{peerPort}";
        var process = ServerProcess.Start(executable,
        [
            "--name", "test", "--data-dir", directory,
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", $"test={peer}", "--initial-cluster-state", "new",
        ]);
        await process.WaitForPortAsync(clientPort, TimeSpan.FromSeconds(30), "etcd");
        return new EtcdServer(process, directory, clientPort);
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
