using LiveMicro.Rtmp.Streams;
using Microsoft.Extensions.Options;

namespace LiveMicro.Rtmp.Publishing;

/// <summary>Asks the live service again, every <see cref="RtmpOptions.AuthorizationCacheDuration"/>, whether each
/// publisher's key is still valid, and cuts off those whose key was rotated or whose room ended. It makes
/// revocation hold on every instance, even one that missed the event.</summary>
public sealed partial class PublisherReauthorization(StreamRegistry streams, LiveServiceClient live, IOptions<RtmpOptions> options,
    ILogger<PublisherReauthorization> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = options.Value.AuthorizationCacheDuration > TimeSpan.FromSeconds(1) ? options.Value.AuthorizationCacheDuration : TimeSpan.FromSeconds(1);
        using var timer = new PeriodicTimer(period);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var stream in streams.Streams.ToList())
            {
                try
                {
                    var answer = await live.AuthorizeAsync(stream.Identity.StreamKey, stoppingToken);
                    if (answer is StreamAuthorization.Refused) streams.Revoke(stream.Name, "stream key no longer valid");
                    else if (answer is StreamAuthorization.Unavailable unavailable) LogUnavailable(logger, stream.Name, unavailable.Reason);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // one failed check must not end the loop (its death would stop the host)
                    LogUnavailable(logger, stream.Name, e.Message);
                }
            }
        }
    }

    // an unreachable live service is no reason to cut a running stream
    [LoggerMessage(LogLevel.Warning, "Could not re-check the key of {StreamName}: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string streamName, string reason);
}
