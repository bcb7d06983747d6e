using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace LiveMicro.EventBus.Redis;

/// <summary>Consumes one event type's stream for this service's consumer group, at least once: an entry is
/// acknowledged only after its handlers succeeded (or it went to the dead-letter stream), and a handled event id is
/// remembered so that a redelivery of it is acknowledged without reaching the handlers again.</summary>
internal sealed partial class RedisStreamConsumer
{
    private const string ScanStart = "0-0";

    private readonly EventSubscription _subscription;
    private readonly IConnectionMultiplexer _redis;
    private readonly IDatabase _database;
    private readonly RedisStreams _streams;
    private readonly IServiceScopeFactory _scopeFactory;
    private readonly EventBusOptions _options;
    private readonly ILogger _logger;
    private readonly RedisKey _stream;
    private readonly RedisKey _deadLetterStream;
    private readonly RedisChannel _notifications;
    private readonly WakeSignal _published = new();
    private bool _groupExists;
    private bool _subscribed;
    // True at first so that a restarted consumer begins with what it had been handed but not acknowledged.
    private bool _ownPendingMayExist = true;
    private long? _lastClaimSweep;

    public RedisStreamConsumer(EventSubscription subscription, IConnectionMultiplexer redis,
        IServiceScopeFactory scopeFactory, EventBusOptions options, ILogger logger)
    {
        _subscription = subscription;
        _redis = redis;
        _database = redis.GetDatabase();
        _streams = new RedisStreams(_database);
        _scopeFactory = scopeFactory;
        _options = options;
        _logger = logger;
        _stream = EventStreamNames.Stream(options, subscription.EventTypeName);
        _deadLetterStream = EventStreamNames.DeadLetterStream(_stream);
        _notifications = EventStreamNames.Notifications(_stream);
    }

    private string Group => _options.ServiceName;

    private string Consumer => _options.ConsumerName;

    /// <summary>Creates the group if it does not exist. Once it does, Redis keeps every later entry for it, so
    /// events published while all instances of the service are down are read when one comes back.</summary>
    public async Task EnsureGroupAsync()
    {
        var startId = _options.DeliverHistoryToNewGroup ? "0" : "$";
        if (await _streams.CreateGroupAsync(_stream, Group, startId))
        {
            LogGroupCreated(_logger, Group, _stream.ToString(), startId);
        }

        _groupExists = true;
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            var recovering = true;
            while (!stoppingToken.IsCancellationRequested)
            {
                var published = _published.Next;
                try
                {
                    await ConsumeAvailableAsync(recovering, stoppingToken);
                    recovering = false;
                }
                catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
                {
                    // The stream or group vanished (e.g. Redis restarted without persistence): make it again.
                    LogGroupMissing(_logger, Group, _stream.ToString());
                    _groupExists = false;
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // Entries read before the failure may be left pending; the next pass retries them.
                    _ownPendingMayExist = true;
                    LogConsumeFailed(_logger, e, _stream.ToString(), _options.PollInterval);
                }

                await WakeSignal.WaitAsync(published, _options.PollInterval, stoppingToken);
            }
        }
        finally
        {
            if (_subscribed)
            {
                await _redis.GetSubscriber().UnsubscribeAsync(_notifications, OnPublished, CommandFlags.FireAndForget);
            }
        }
    }

    private void OnPublished(RedisChannel channel, RedisValue entryId) => _published.Notify();

    private async Task ConsumeAvailableAsync(bool recovering, CancellationToken cancellationToken)
    {
        if (!_groupExists) await EnsureGroupAsync();
        if (!_subscribed)
        {
            await _redis.GetSubscriber().SubscribeAsync(_notifications, OnPublished);
            _subscribed = true;
        }

        if (_ownPendingMayExist) await RetryOwnPendingAsync(ignoreBackoff: recovering, cancellationToken);

        if (_lastClaimSweep is not { } last || Stopwatch.GetElapsedTime(last) >= _options.ClaimInterval)
        {
            await ClaimAbandonedAsync(cancellationToken);
            _lastClaimSweep = Stopwatch.GetTimestamp();
        }

        int read;
        do
        {
            read = await ReadNewAsync(cancellationToken);
        }
        while (read == _options.BatchSize);
    }

    private async Task<int> ReadNewAsync(CancellationToken cancellationToken)
    {
        var entries = await _streams.ReadNewAsync(_stream, Group, Consumer, _options.BatchSize);
        await ProcessBatchAsync(entries, _ => 1, cancellationToken);
        return entries.Count;
    }

    /// <summary>Gives this consumer's failed entries another delivery once their backoff has passed (or all of
    /// them at once on start, when they are what a previous run of this consumer left behind).</summary>
    private async Task RetryOwnPendingAsync(bool ignoreBackoff, CancellationToken cancellationToken)
    {
        var pending = await _streams.PendingAsync(_stream, Group, "-", "+", _options.BatchSize, Consumer);
        if (pending.Count == 0)
        {
            _ownPendingMayExist = false;
            return;
        }

        var due = pending.Where(entry => ignoreBackoff || entry.Idle >= RetryBackoff(entry.Deliveries))
            .ToDictionary(entry => entry.Id, entry => entry.Deliveries);
        if (due.Count == 0) return;

        // XCLAIM to ourselves counts the new delivery and, with a minimum idle time, leaves alone an entry that
        // another consumer has just claimed.
        var minIdleTime = ignoreBackoff ? TimeSpan.Zero : _options.RetryDelay;
        var entries = await _streams.ClaimAsync(_stream, Group, Consumer, minIdleTime, due.Keys);
        await ProcessBatchAsync(entries, entry => due[entry.Id] + 1, cancellationToken);
    }

    /// <summary>Takes over entries that other consumers of the group were handed but have not acknowledged for
    /// <see cref="EventBusOptions.ClaimIdleTime"/>, i.e. consumers that died or were scaled away.</summary>
    private async Task ClaimAbandonedAsync(CancellationToken cancellationToken)
    {
        var cursor = ScanStart;
        do
        {
            (cursor, var entries) = await _streams.AutoClaimAsync(_stream, Group, Consumer, _options.ClaimIdleTime,
                cursor, _options.BatchSize);
            if (entries.Count == 0) continue;

            // XAUTOCLAIM does not answer delivery counts, which the dead-letter rule needs.
            var pending = await Task.WhenAll(entries.Select(entry =>
                _streams.PendingAsync(_stream, Group, entry.Id, entry.Id, 1, Consumer)));
            var deliveries = pending.SelectMany(entry => entry).ToDictionary(entry => entry.Id, entry => entry.Deliveries);
            foreach (var entry in entries) LogClaimed(_logger, entry.Id, _stream.ToString(), Consumer);
            await ProcessBatchAsync(entries.Where(entry => deliveries.ContainsKey(entry.Id)).ToList(),
                entry => deliveries[entry.Id], cancellationToken);
        }
        while (cursor != ScanStart);
    }

    private async Task ProcessBatchAsync(IReadOnlyList<StreamEntry> entries, Func<StreamEntry, int> deliveries,
        CancellationToken cancellationToken)
    {
        var heldSince = Stopwatch.GetTimestamp();
        foreach (var entry in entries)
        {
            if (Stopwatch.GetElapsedTime(heldSince) >= _options.ClaimIdleTime)
            {
                // The rest of the batch has waited behind slow handlers for so long that other consumers may be
                // claiming it as abandoned; leaving it to the retry pass avoids handling an entry twice at once.
                _ownPendingMayExist = true;
                return;
            }

            await ProcessAsync(entry, deliveries(entry), cancellationToken);
        }
    }

    private async Task ProcessAsync(StreamEntry entry, int delivery, CancellationToken cancellationToken)
    {
        if (entry.Fields is null)
        {
            // Trimmed from the stream while it was pending: there is nothing left to handle.
            await _streams.AcknowledgeAsync(_stream, Group, entry.Id);
            return;
        }

        IntegrationEvent @event;
        try
        {
            var body = entry.Field(EventStreamNames.BodyField) ?? throw new JsonException("The entry has no body.");
            @event = IntegrationEventSerializer.Deserialize(body, _subscription.EventType);
        }
        catch (Exception e)
        {
            // Deserializing touches nothing outside the entry, so no number of retries makes it readable.
            await DeadLetterAsync(entry, delivery, $"Unreadable {_subscription.EventTypeName}: {e.Message}", e);
            return;
        }

        var processedKey = EventStreamNames.ProcessedKey(_options, @event.Id);
        if (await _database.KeyExistsAsync(processedKey))
        {
            LogAlreadyProcessed(_logger, _subscription.EventTypeName, @event.Id, entry.Id);
            await _streams.AcknowledgeAsync(_stream, Group, entry.Id);
            return;
        }

        if (delivery > _options.MaxDeliveryAttempts)
        {
            // Only a consumer that died while handling it leaves an entry unacknowledged this often; it may be what
            // kills them.
            await DeadLetterAsync(entry, delivery,
                $"Delivered {delivery} times without being acknowledged; consumers may have died handling it.", null);
            return;
        }

        try
        {
            await using var scope = _scopeFactory.CreateAsyncScope();
            await _subscription.DispatchAsync(scope.ServiceProvider, @event, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the entry stays pending for this consumer's next start or for another consumer to claim.
            throw;
        }
        catch (Exception e)
        {
            if (delivery >= _options.MaxDeliveryAttempts)
            {
                await DeadLetterAsync(entry, delivery, $"{e.GetType().FullName}: {e.Message}", e);
            }
            else
            {
                // The backoff is measured on the entry's idle time, which must run from this failure rather than
                // from the delivery, or a slow handler would be retried at once.
                await _streams.ResetIdleTimeAsync(_stream, Group, Consumer, entry.Id);
                _ownPendingMayExist = true;
                LogHandlerFailed(_logger, e, _subscription.EventTypeName, @event.Id, delivery,
                    _options.MaxDeliveryAttempts, RetryBackoff(delivery));
            }

            return;
        }

        // Recorded before the acknowledgement: should the process die between the two, the redelivered entry is
        // skipped rather than handled again. Both go out in this order on the same connection.
        var recorded = _database.StringSetAsync(processedKey, "1", _options.ProcessedRetention, When.NotExists);
        var acknowledged = _streams.AcknowledgeAsync(_stream, Group, entry.Id);
        await Task.WhenAll(recorded, acknowledged);
        LogHandled(_logger, _subscription.EventTypeName, @event.Id, entry.Id, delivery);
    }

    /// <summary>Moves an entry that will not succeed to <c>{stream}:dead-letter</c>, with why, and acknowledges it
    /// so that it stops holding up the rest.</summary>
    private async Task DeadLetterAsync(StreamEntry entry, int delivery, string error, Exception? exception)
    {
        List<KeyValuePair<string, string>> fields =
        [
            .. entry.Fields ?? [],
            new("source-entry-id", entry.Id),
            new("group", Group),
            new("consumer", Consumer),
            new("attempts", delivery.ToString(CultureInfo.InvariantCulture)),
            new("error", error),
            new("dead-lettered-at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)),
        ];
        await _streams.AddAsync(_deadLetterStream, _options.MaxStreamLength, fields);
        await _streams.AcknowledgeAsync(_stream, Group, entry.Id);
        LogDeadLettered(_logger, exception, entry.Id, _stream.ToString(), delivery, _deadLetterStream.ToString(), error);
    }

    /// <summary><see cref="EventBusOptions.RetryDelay"/>, doubled for each delivery after the first, at most
    /// <see cref="EventBusOptions.MaxRetryDelay"/>.</summary>
    private TimeSpan RetryBackoff(int deliveries)
    {
        var ticks = _options.RetryDelay.Ticks * Math.Pow(2, Math.Clamp(deliveries - 1, 0, 30));
        return ticks < _options.MaxRetryDelay.Ticks ? TimeSpan.FromTicks((long)ticks) : _options.MaxRetryDelay;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Created consumer group {Group} on {Stream} starting at {StartId}")]
    private static partial void LogGroupCreated(ILogger logger, string group, string stream, string startId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer group {Group} on {Stream} is missing; creating it again")]
    private static partial void LogGroupMissing(ILogger logger, string group, string stream);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consuming {Stream} failed; trying again in {PollInterval}")]
    private static partial void LogConsumeFailed(ILogger logger, Exception exception, string stream, TimeSpan pollInterval);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Claimed abandoned entry {EntryId} of {Stream} for {Consumer}")]
    private static partial void LogClaimed(ILogger logger, string entryId, string stream, string consumer);

    [LoggerMessage(Level = LogLevel.Debug,
        Message = "Handled {EventType} {EventId} (entry {EntryId}, delivery {Delivery})")]
    private static partial void LogHandled(ILogger logger, string eventType, Guid eventId, string entryId, int delivery);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Skipped {EventType} {EventId} (entry {EntryId}): already processed by this service")]
    private static partial void LogAlreadyProcessed(ILogger logger, string eventType, Guid eventId, string entryId);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Handling {EventType} {EventId} failed on delivery {Delivery} of {MaxDeliveryAttempts}; retrying in {RetryBackoff}")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string eventType, Guid eventId,
        int delivery, int maxDeliveryAttempts, TimeSpan retryBackoff);

    [LoggerMessage(Level = LogLevel.Error,
        Message = "Moved entry {EntryId} of {Stream} to {DeadLetterStream} after {Attempts} deliveries: {Error}")]
    private static partial void LogDeadLettered(ILogger logger, Exception? exception, string entryId, string stream,
        int attempts, string deadLetterStream, string error);
}
