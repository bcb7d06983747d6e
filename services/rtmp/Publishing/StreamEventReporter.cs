using System.Threading.Channels;
using LiveMicro.EventBus;

namespace LiveMicro.Rtmp.Publishing;

/// <summary>
/// Publishes StreamPublished/StreamUnpublished in the order streams produce them, off the media path: a stream
/// loop never waits for Redis. A failed publish is retried with backoff; events still queued at shutdown get a
/// last chance before the process exits.
/// </summary>
public sealed partial class StreamEventReporter(IEventBus eventBus, ILogger<StreamEventReporter> logger) : BackgroundService
{
    private const int MaxAttempts = 5;
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(5);

    private readonly Channel<IntegrationEvent> _events = Channel.CreateUnbounded<IntegrationEvent>(new UnboundedChannelOptions { SingleReader = true });

    public void Report(IntegrationEvent @event) => _events.Writer.TryWrite(@event);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _events.Writer.TryComplete();
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        grace.CancelAfter(ShutdownGrace);
        await (ExecuteTask ?? Task.CompletedTask).WaitAsync(grace.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Runs until StopAsync completes the channel, so the stop events of streams ended by the shutdown go out too.
        await foreach (var @event in _events.Reader.ReadAllAsync(CancellationToken.None))
        {
            await PublishWithRetriesAsync(@event);
        }
    }

    private async Task PublishWithRetriesAsync(IntegrationEvent @event)
    {
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await eventBus.PublishAsync(@event);
                Log.Published(logger, @event.GetType().Name, @event.Id);
                return;
            }
            catch (Exception exception) when (attempt < MaxAttempts)
            {
                Log.PublishRetry(logger, exception, @event.GetType().Name, @event.Id, attempt);
                await Task.Delay(delay);
                delay *= 2;
            }
            catch (Exception exception)
            {
                Log.PublishFailed(logger, exception, @event.GetType().Name, @event.Id, attempt);
                return;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2001, LogLevel.Debug, "Published {EventType} {EventId}")]
        public static partial void Published(ILogger logger, string eventType, Guid eventId);

        [LoggerMessage(2002, LogLevel.Warning, "Publishing {EventType} {EventId} failed (attempt {Attempt}); retrying")]
        public static partial void PublishRetry(ILogger logger, Exception exception, string eventType, Guid eventId, int attempt);

        [LoggerMessage(2003, LogLevel.Error, "Gave up publishing {EventType} {EventId} after {Attempts} attempts")]
        public static partial void PublishFailed(ILogger logger, Exception exception, string eventType, Guid eventId, int attempts);
    }
}
