using System.Reflection;
using Npgsql;

namespace LiveMicro.ServiceDefaults.Data;

/// <summary>Versioned SQL scripts, embedded in a service's assembly as <c>migrations/NNNN_name.sql</c>, applied in
/// name order, each once, and recorded in <c>schema_migrations</c>. (EF Core's design-time package, which would
/// generate migrations, does not resolve from our package registry; the DbContexts only map these tables.)</summary>
public static class SqlMigrations
{
    public const string ResourcePrefix = "migrations/";

    // Any fixed number: every instance of every service takes the same lock, so two instances starting at once
    // apply a script exactly once.
    private const long AdvisoryLockKey = 0x4C6976654D6963;

    /// <summary>Creates the database if it is missing, then applies the scripts not applied yet; answers the
    /// versions it applied.</summary>
    public static async Task<IReadOnlyList<string>> ApplyAsync(string connectionString, Assembly assembly,
        CancellationToken cancellationToken)
    {
        await EnsureDatabaseAsync(connectionString, cancellationToken);

        var scripts = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", cancellationToken);
        await ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version text PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now())
            """, cancellationToken);

        var applied = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("SELECT version FROM schema_migrations", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) applied.Add(reader.GetString(0));
        }

        var appliedNow = new List<string>();
        foreach (var resource in scripts)
        {
            var version = Path.GetFileNameWithoutExtension(resource[ResourcePrefix.Length..]);
            if (applied.Contains(version)) continue;

            await using var stream = assembly.GetManifestResourceStream(resource)!;
            using var text = new StreamReader(stream);
            await ExecuteAsync(connection, await text.ReadToEndAsync(cancellationToken), cancellationToken);
            await using var record = new NpgsqlCommand("INSERT INTO schema_migrations (version) VALUES ($1)", connection)
            {
                Parameters = { new() { Value = version } },
            };
            await record.ExecuteNonQueryAsync(cancellationToken);
            appliedNow.Add(version);
        }

        await transaction.CommitAsync(cancellationToken);
        return appliedNow;
    }

    private static async Task EnsureDatabaseAsync(string connectionString, CancellationToken cancellationToken)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var maintenance = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection)
        {
            Parameters = { new() { Value = target.Database } },
        };
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null) return;

        try
        {
            await ExecuteAsync(connection, $"CREATE DATABASE \"{target.Database!.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // another instance created it first
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
