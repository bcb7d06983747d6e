using LiveMicro.Rtmp.Streams;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveMicro.Rtmp.Apis;

public sealed record PlayerCounts(int Rtmp, int Flv, int Total);

public sealed record StreamStats(
    string Name,
    long RoomId,
    string PublisherId,
    string Protocol,
    DateTimeOffset StartedAt,
    double UptimeSeconds,
    string? VideoCodec,
    string? AudioCodec,
    long BitrateInBitsPerSecond,
    long BytesReceived,
    PlayerCounts Players,
    long BytesSentToPlayers,
    long DroppedUnits,
    int LongestPlayerQueue);

/// <summary>What is live on this instance. Never shows stream keys.</summary>
public static class StreamsApi
{
    public static RouteGroupBuilder MapStreamsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/streams").AllowAnonymous();
        api.MapGet("/", GetStreams);
        return api;
    }

    private static Ok<StreamStats[]> GetStreams(StreamRegistry registry, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var streams = registry.Streams.OrderBy(s => s.Name, StringComparer.Ordinal).Select(stream =>
        {
            var players = stream.Subscribers.Where(s => s.Protocol != "hls").ToList();
            var rtmp = players.Count(p => p.Protocol == "rtmp");
            return new StreamStats(
                stream.Name,
                stream.Identity.RoomId,
                stream.Identity.PublisherId,
                "rtmp",
                stream.StartedAt,
                Math.Round((now - stream.StartedAt).TotalSeconds, 1),
                stream.VideoCodec,
                stream.AudioCodec,
                stream.BitrateIn,
                stream.BytesReceived,
                new PlayerCounts(rtmp, players.Count - rtmp, players.Count),
                players.Sum(p => p.BytesSent),
                players.Sum(p => p.DroppedUnits),
                players.Count == 0 ? 0 : players.Max(p => p.QueuedUnits));
        }).ToArray();
        return TypedResults.Ok(streams);
    }
}
