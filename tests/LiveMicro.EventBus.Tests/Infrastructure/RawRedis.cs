using StackExchange.Redis;

namespace LiveMicro.EventBus.Tests.Infrastructure;

/// <summary>Stream commands the tests send themselves, to play a dead consumer or to look at what the bus left
/// in Redis.</summary>
public sealed class RawRedis(IDatabase database)
{
    public IDatabase Database { get; } = database;

    public async Task<long> StreamLengthAsync(string stream) =>
        (long)(await Database.ExecuteAsync("XLEN", stream))!;

    /// <summary>How many entries the group has handed out and not had acknowledged.</summary>
    public async Task<long> PendingCountAsync(string stream, string group) =>
        (long)((RedisResult[])(await Database.ExecuteAsync("XPENDING", stream, group))!)[0]!;

    public async Task CreateGroupAsync(string stream, string group) =>
        await Database.ExecuteAsync("XGROUP", "CREATE", stream, group, "$", "MKSTREAM");

    /// <summary>Reads new entries as <paramref name="consumer"/> and never acknowledges them; answers their ids.</summary>
    public async Task<IReadOnlyList<string>> ReadAndAbandonAsync(string stream, string group, string consumer)
    {
        var reply = await Database.ExecuteAsync("XREADGROUP", "GROUP", group, consumer, "COUNT", 100,
            "STREAMS", stream, ">");
        if (reply.IsNull) return [];
        var entries = (RedisResult[])((RedisResult[])((RedisResult[])reply!)[0]!)[1]!;
        return entries.Select(entry => (string)((RedisResult[])entry!)[0]!).ToList();
    }

    public async Task AddEntryAsync(string stream, params string[] fieldsAndValues) =>
        await Database.ExecuteAsync("XADD", [stream, "*", .. fieldsAndValues]);

    /// <summary>Every entry of <paramref name="stream"/>, its fields by name.</summary>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, string>>> EntriesAsync(string stream)
    {
        var entries = (RedisResult[])(await Database.ExecuteAsync("XRANGE", stream, "-", "+"))!;
        return entries.Select(entry =>
        {
            var values = (string[])((RedisResult[])entry!)[1]!;
            return (IReadOnlyDictionary<string, string>)Enumerable.Range(0, values.Length / 2)
                .ToDictionary(i => values[2 * i], i => values[2 * i + 1]);
        }).ToList();
    }
}
