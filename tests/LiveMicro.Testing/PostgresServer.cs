using Npgsql;

namespace LiveMicro.Testing;

/// <summary>A real PostgreSQL cluster, initdb'd into a temp dir and listening on a free loopback port. The server
/// refuses to run as root, so under root it runs as the unprivileged 'postgres' (or 'nobody') account.</summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private static readonly string[] BinaryDirectories =
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin")).ToArray()
            : [];

    private readonly string _directory;
    private readonly string _pgCtl;
    private readonly string? _runAs;

    private PostgresServer(string directory, string pgCtl, string? runAs, int port)
    {
        _directory = directory;
        _pgCtl = pgCtl;
        _runAs = runAs;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Include Error Detail=true";

    public static async Task<PostgresServer> StartAsync()
    {
        var initdb = ServerProcess.FindExecutable("initdb", BinaryDirectories);
        var pgCtl = ServerProcess.FindExecutable("pg_ctl", BinaryDirectories);
        var runAs = Environment.UserName == "root" ? UnprivilegedAccount() : null;
        var directory = ServerProcess.CreateTempDirectory("postgres");
        var dataDirectory = Path.Combine(directory, "data");
        if (runAs is not null) await RunAsync("chown", ["-R", runAs, directory], null);

        await RunAsync(initdb, ["-D", dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], runAs);
        var port = ServerProcess.FreePort();
        var serverOptions = $"-p {port} -c listen_addresses=127.0.0.1 -k {directory} -c fsync=off " +
                            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
        await RunAsync(pgCtl, ["-D", dataDirectory, "-l", Path.Combine(directory, "server.log"), "-o", serverOptions,
            "-w", "-t", "60", "start"], runAs);
        return new PostgresServer(directory, pgCtl, runAs, port);
    }

    /// <summary>Creates an empty database and answers its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)];
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync(_pgCtl, ["-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop"], _runAs);
        Directory.Delete(_directory, recursive: true);
    }

    private static string UnprivilegedAccount()
    {
        var accounts = File.ReadAllLines("/etc/passwd").Select(line => line.Split(':')[0]).ToHashSet();
        return accounts.Contains("postgres") ? "postgres" : "nobody";
    }

    private static async Task RunAsync(string fileName, string[] arguments, string? runAs)
    {
        string[] command = runAs is null ? arguments : ["-u", runAs, "--", fileName, .. arguments];
        await using var process = ServerProcess.Start(runAs is null ? fileName : "runuser", command);
        var exited = await process.WaitForExitAsync(TimeSpan.FromSeconds(90));
        if (exited != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(fileName)} failed ({exited}):\n{process.Output}");
        }
    }
}
