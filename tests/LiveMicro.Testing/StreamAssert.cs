using System.Text.Json.Nodes;
using StackExchange.Redis;

namespace LiveMicro.Testing;

/// <summary>Reads the event bus's Redis streams the way any consumer would, to prove an event was published.</summary>
public static class StreamAssert
{
    public static async Task<List<JsonNode>> BodiesAsync(string redisConnectionString, string eventType)
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(redisConnectionString);
        var entries = (RedisResult[])(await redis.GetDatabase().ExecuteAsync("XRANGE", $"livemicro:events:{eventType}", "-", "+"))!;
        return entries.Select(entry =>
        {
            var fields = (RedisResult[])((RedisResult[])entry!)[1]!;
            var body = Enumerable.Range(0, fields.Length / 2).First(i => (string?)fields[2 * i] == "body");
            return JsonNode.Parse((string)fields[2 * body + 1]!)!;
        }).ToList();
    }

    public static Task EventuallyOnStreamAsync(string redisConnectionString, string eventType, Func<JsonNode, bool> match) =>
        ApiClient.EventuallyAsync(async () => (await BodiesAsync(redisConnectionString, eventType)).Any(match),
            $"a matching {eventType} on its stream");
}
