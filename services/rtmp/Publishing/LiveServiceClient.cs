using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using LiveMicro.Rtmp.Streams;
using Microsoft.Extensions.Options;

namespace LiveMicro.Rtmp.Publishing;

/// <summary>What the live service said about a stream key.</summary>
public abstract record StreamAuthorization
{
    /// <summary>A valid key of an open room: publish under the room's public stream name.</summary>
    public sealed record Granted(long RoomId, string StreamName) : StreamAuthorization;

    /// <summary>Unknown key, or its room has ended (404).</summary>
    public sealed record Refused : StreamAuthorization;

    /// <summary>The live service could not answer; nothing is cached.</summary>
    public sealed record Unavailable(string Reason) : StreamAuthorization;
}

/// <summary>
/// Checks stream keys with the live service (<c>POST /internal/streams/authorize {streamKey}</c> →
/// 200 <c>{roomId, streamName}</c> or 404) and reuses answers for <see cref="RtmpOptions.AuthorizationCacheDuration"/>,
/// so an encoder that reconnects or retries does not cost a call each time.
/// </summary>
public sealed partial class LiveServiceClient(IHttpClientFactory httpClients, IOptions<RtmpOptions> options, TimeProvider time,
    ILogger<LiveServiceClient> logger)
{
    public const string HttpClientName = "live";
    public const string AuthorizePath = "/internal/streams/authorize";

    // Keys of unknown rooms must not grow the cache without bound.
    private const int MaxCachedKeys = 10_000;

    private readonly ConcurrentDictionary<string, (StreamAuthorization Answer, DateTimeOffset Expires)> _cache = new(StringComparer.Ordinal);

    public async Task<StreamAuthorization> AuthorizeAsync(string streamKey, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(streamKey, out var cached) && cached.Expires > now)
        {
            return cached.Answer;
        }

        var answer = await AskAsync(streamKey, cancellationToken);
        if (answer is not StreamAuthorization.Unavailable && options.Value.AuthorizationCacheDuration > TimeSpan.Zero)
        {
            if (_cache.Count >= MaxCachedKeys)
            {
                foreach (var (key, entry) in _cache)
                {
                    if (entry.Expires <= now)
                    {
                        _cache.TryRemove(key, out _);
                    }
                }
            }

            if (_cache.Count < MaxCachedKeys)
            {
                _cache[streamKey] = (answer, now + options.Value.AuthorizationCacheDuration);
            }
        }

        return answer;
    }

    /// <summary>Drops a cached answer, so the next check asks the live service again.</summary>
    public void Forget(string streamKey) => _cache.TryRemove(streamKey, out _);

    private async Task<StreamAuthorization> AskAsync(string streamKey, CancellationToken cancellationToken)
    {
        try
        {
            var client = httpClients.CreateClient(HttpClientName);
            // Buffered, so the request has a Content-Length rather than a chunked body: any HTTP server can read it.
            using var content = JsonContent.Create(new AuthorizeRequest(streamKey));
            await content.LoadIntoBufferAsync(cancellationToken);
            using var response = await client.PostAsync(AuthorizePath, content, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return new StreamAuthorization.Refused();
            }

            if (response.StatusCode != HttpStatusCode.OK)
            {
                Log.UnexpectedAnswer(logger, (int)response.StatusCode);
                return new StreamAuthorization.Unavailable($"the live service answered {(int)response.StatusCode}");
            }

            var body = await response.Content.ReadFromJsonAsync<AuthorizeResponse>(cancellationToken);
            if (body is null || !StreamNames.IsValid(body.StreamName))
            {
                Log.InvalidStreamName(logger, body?.StreamName);
                return new StreamAuthorization.Unavailable("the live service answered an invalid stream name");
            }

            return new StreamAuthorization.Granted(body.RoomId, body.StreamName);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException
                                          && !cancellationToken.IsCancellationRequested)
        {
            Log.Unreachable(logger, exception);
            return new StreamAuthorization.Unavailable("the live service is unreachable");
        }
    }

    private sealed record AuthorizeRequest(string StreamKey);

    private sealed record AuthorizeResponse(long RoomId, string StreamName);

    private static partial class Log
    {
        [LoggerMessage(3001, LogLevel.Warning, "The live service answered {Status} to a stream key check")]
        public static partial void UnexpectedAnswer(ILogger logger, int status);

        [LoggerMessage(3002, LogLevel.Warning, "The live service answered an invalid stream name {StreamName}")]
        public static partial void InvalidStreamName(ILogger logger, string? streamName);

        [LoggerMessage(3003, LogLevel.Warning, "The live service could not be asked about a stream key")]
        public static partial void Unreachable(ILogger logger, Exception exception);
    }
}

/// <summary>Public stream names appear in URLs and segment names: a conservative alphabet.</summary>
public static partial class StreamNames
{
    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,128}$")]
    private static partial Regex Pattern();
}
