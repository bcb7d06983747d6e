using LiveMicro.Rtmp.Hls;
using LiveMicro.Rtmp.HttpFlv;
using LiveMicro.Rtmp.Streams;
using LiveMicro.ServiceDefaults.ProblemDetails;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LiveMicro.Rtmp.Apis;

/// <summary>Playback over HTTP by public stream name: HTTP-FLV and HLS.</summary>
public static class LiveApi
{
    public static RouteGroupBuilder MapLiveApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/live").AllowAnonymous();
        api.MapGet("/{stream}.flv", PlayFlvAsync);
        api.MapGet("/{stream}/index.m3u8", GetPlaylist);
        api.MapGet("/{stream}/{segment}", GetSegment);
        return api;
    }

    /// <summary>HTTP-FLV: chunked FLV until the publisher stops (then the response ends) or the client leaves.</summary>
    private static async Task<Results<EmptyHttpResult, ProblemHttpResult>> PlayFlvAsync(string stream, HttpContext context,
        StreamRegistry registry, IOptions<RtmpOptions> options)
    {
        if (Refusal(stream, registry) is { } refusal)
        {
            return refusal;
        }

        if (!registry.TryGet(stream, out var live))
        {
            return NotFound(stream);
        }

        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Response.ContentType = "video/x-flv";
        context.Response.Headers.CacheControl = "no-cache, no-store";
        context.Response.Headers.AccessControlAllowOrigin = "*";
        using var player = new FlvPlayer(context.Response.BodyWriter, options.Value.PlayerWriteTimeout, options.Value.PlayerQueueCapacity);
        if (!live.TryAddSubscriber(player))
        {
            return NotFound(stream);
        }

        try
        {
            await player.RunAsync(context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client left or stopped reading; the response is abandoned.
        }
        finally
        {
            live.RemoveSubscriber(player);
        }

        return TypedResults.Empty;
    }

    private static Results<ContentHttpResult, ProblemHttpResult> GetPlaylist(string stream, HttpContext context, StreamRegistry registry, HlsOutputs hls)
    {
        if (Refusal(stream, registry) is { } refusal)
        {
            return refusal;
        }

        if (hls.Find(stream) is not { } snapshot)
        {
            return registry.TryGet(stream, out _)
                ? Problems.Create(StatusCodes.Status404NotFound, "playlist-not-ready", "The first segment is not complete yet.", "Retry in a segment's time.")
                : NotFound(stream);
        }

        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.AccessControlAllowOrigin = "*";
        return TypedResults.Text(snapshot.Playlist, "application/vnd.apple.mpegurl");
    }

    private static Results<FileContentHttpResult, ProblemHttpResult> GetSegment(string stream, string segment, HttpContext context, HlsOutputs hls)
    {
        if (hls.Find(stream) is not { } snapshot || !snapshot.Segments.TryGetValue(segment, out var data))
        {
            return Problems.Create(StatusCodes.Status404NotFound, "segment-not-found", "No such segment.", $"'{segment}' of '{stream}' is not (or no longer) available.");
        }

        context.Response.Headers.CacheControl = "max-age=60";
        context.Response.Headers.AccessControlAllowOrigin = "*";
        return TypedResults.File(data, "video/mp2t");
    }

    private static ProblemHttpResult? Refusal(string stream, StreamRegistry registry) =>
        registry.IsStreamKey(stream)
            ? Problems.Create(StatusCodes.Status403Forbidden, "stream-key-not-playable", "A stream key cannot be played.", "Play the room's public stream name.")
            : null;

    private static ProblemHttpResult NotFound(string stream) =>
        Problems.Create(StatusCodes.Status404NotFound, "stream-not-found", "No such live stream.", $"'{stream}' is not live.");
}
