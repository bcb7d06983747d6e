namespace LiveMicro.Testing;

/// <summary>A real redis-server on a free loopback port with no persistence, for one test collection.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly ServerProcess _process;
    private readonly string _directory;

    private RedisServer(ServerProcess process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>A StackExchange.Redis connection string.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false";

    public static async Task<RedisServer> StartAsync()
    {
        var executable = ServerProcess.FindExecutable("redis-server");
        var directory = ServerProcess.CreateTempDirectory("redis");
        var port = ServerProcess.FreePort();
        var process = ServerProcess.Start(executable,
            ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", directory, "--daemonize", "no", "--protected-mode", "yes"]);
        await process.WaitForPortAsync(port, TimeSpan.FromSeconds(20), "redis-server");
        return new RedisServer(process, directory, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
