using StackExchange.Redis;

namespace LiveMicro.EventBus.Redis;

/// <summary>The Redis Streams commands the bus needs. StackExchange.Redis 1.2.6 predates streams, so they are sent
/// by name through <see cref="IDatabaseAsync.ExecuteAsync(string, object[])"/> and their replies parsed here. None
/// of them blocks: a blocking read would hold up every other command on the shared multiplexer.</summary>
internal sealed class RedisStreams(IDatabase database)
{
    /// <summary>XADD, trimming the stream to about <paramref name="maxLength"/> entries; answers the entry id.</summary>
    public async Task<string> AddAsync(RedisKey stream, int maxLength, IEnumerable<KeyValuePair<string, string>> fields)
    {
        List<object> arguments = [stream, "MAXLEN", "~", maxLength, "*"];
        foreach (var (name, value) in fields)
        {
            arguments.Add(name);
            arguments.Add(value);
        }

        return (string)await database.ExecuteAsync("XADD", [.. arguments])!;
    }

    /// <summary>XGROUP CREATE with MKSTREAM; answers false when the group already exists.</summary>
    public async Task<bool> CreateGroupAsync(RedisKey stream, string group, string startId)
    {
        try
        {
            await database.ExecuteAsync("XGROUP", "CREATE", stream, group, startId, "MKSTREAM");
            return true;
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            return false;
        }
    }

    /// <summary>XREADGROUP of entries never delivered to the group (id <c>&gt;</c>), without BLOCK.</summary>
    public async Task<IReadOnlyList<StreamEntry>> ReadNewAsync(RedisKey stream, string group, string consumer, int count)
    {
        var reply = await database.ExecuteAsync("XREADGROUP", "GROUP", group, consumer, "COUNT", count,
            "STREAMS", stream, ">");
        // nil when nothing is new; otherwise [[stream, [entry, ...]]]
        if (reply.IsNull) return [];
        var streams = (RedisResult[])reply!;
        return streams.Length == 0 ? [] : ParseEntries(((RedisResult[])streams[0]!)[1]);
    }

    /// <summary>XPENDING in its extended form: the group's unacknowledged entries from <paramref name="start"/> to
    /// <paramref name="end"/>, optionally only those of <paramref name="consumer"/>.</summary>
    public async Task<IReadOnlyList<PendingEntry>> PendingAsync(RedisKey stream, string group, string start, string end,
        int count, string? consumer = null)
    {
        object[] arguments = consumer is null
            ? [stream, group, start, end, count]
            : [stream, group, start, end, count, consumer];
        var reply = await database.ExecuteAsync("XPENDING", arguments);
        if (reply.IsNull) return [];
        // [[id, consumer, idle milliseconds, delivery count], ...]
        return ((RedisResult[])reply!)
            .Select(item => (RedisResult[])item!)
            .Select(item => new PendingEntry((string)item[0]!, (string)item[1]!,
                TimeSpan.FromMilliseconds((long)item[2]!), (int)(long)item[3]!))
            .ToList();
    }

    /// <summary>XCLAIM: takes the given entries over for <paramref name="consumer"/> if they have been idle for
    /// at least <paramref name="minIdleTime"/>, counting one more delivery for each. Entries trimmed from the stream
    /// meanwhile are dropped from the pending list by Redis and not returned.</summary>
    public async Task<IReadOnlyList<StreamEntry>> ClaimAsync(RedisKey stream, string group, string consumer,
        TimeSpan minIdleTime, IEnumerable<string> ids)
    {
        object[] arguments = [stream, group, consumer, (long)minIdleTime.TotalMilliseconds, .. ids];
        return ParseEntries(await database.ExecuteAsync("XCLAIM", arguments));
    }

    /// <summary>XCLAIM … JUSTID of an entry this consumer holds: restarts its idle time without counting a
    /// delivery.</summary>
    public Task ResetIdleTimeAsync(RedisKey stream, string group, string consumer, string id) =>
        database.ExecuteAsync("XCLAIM", stream, group, consumer, 0, id, "JUSTID");

    /// <summary>XAUTOCLAIM (Redis 6.2+): takes over entries of any consumer idle for at least
    /// <paramref name="minIdleTime"/>, scanning the pending list from <paramref name="cursor"/>; answers the cursor
    /// to continue from (<c>0-0</c> when the scan is complete) and the claimed entries.</summary>
    public async Task<(string NextCursor, IReadOnlyList<StreamEntry> Entries)> AutoClaimAsync(RedisKey stream,
        string group, string consumer, TimeSpan minIdleTime, string cursor, int count)
    {
        var reply = (RedisResult[])(await database.ExecuteAsync("XAUTOCLAIM", stream, group, consumer,
            (long)minIdleTime.TotalMilliseconds, cursor, "COUNT", count))!;
        // [next cursor, [entry, ...], [ids deleted from the stream]] (the last only from Redis 7)
        return ((string)reply[0]!, ParseEntries(reply[1]));
    }

    public Task AcknowledgeAsync(RedisKey stream, string group, string id) =>
        database.ExecuteAsync("XACK", stream, group, id);

    private static List<StreamEntry> ParseEntries(RedisResult reply)
    {
        if (reply.IsNull) return [];
        return ((RedisResult[])reply!).Where(entry => !entry.IsNull).Select(ParseEntry).ToList();
    }

    /// <summary>An entry is [id, [field, value, field, value, ...]]; the fields are nil if the entry was deleted.</summary>
    private static StreamEntry ParseEntry(RedisResult entry)
    {
        var parts = (RedisResult[])entry!;
        var id = (string)parts[0]!;
        if (parts[1].IsNull) return new StreamEntry(id, null);

        var values = (RedisResult[])parts[1]!;
        var fields = new List<KeyValuePair<string, string>>(values.Length / 2);
        for (var i = 0; i + 1 < values.Length; i += 2)
        {
            fields.Add(new((string)values[i]!, (string)values[i + 1]!));
        }

        return new StreamEntry(id, fields);
    }
}

/// <summary>A stream entry; <see cref="Fields"/> is null when the entry no longer exists in the stream.</summary>
internal sealed record StreamEntry(string Id, IReadOnlyList<KeyValuePair<string, string>>? Fields)
{
    public string? Field(string name) => Fields?.FirstOrDefault(field => field.Key == name).Value;
}

/// <summary>One entry of a group's pending entries list: delivered to a consumer and not acknowledged yet.</summary>
internal sealed record PendingEntry(string Id, string Consumer, TimeSpan Idle, int Deliveries);
