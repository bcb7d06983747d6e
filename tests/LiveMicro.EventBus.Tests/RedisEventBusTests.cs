using System.Diagnostics;
using LiveMicro.EventBus.Tests.Infrastructure;
using Xunit.Abstractions;

namespace LiveMicro.EventBus.Tests;

[Collection(RedisCollection.Name)]
public sealed class RedisEventBusTests(RedisFixture redis, ITestOutputHelper output)
{
    private const string Service = "ranking";

    private readonly TestHosts _hosts = new(redis.Server.ConnectionString, output);

    [Fact]
    public async Task Event_published_by_one_service_is_handled_once_by_each_subscribing_service()
    {
        HandlerLog ranking = new(), notifications = new();
        await using var rankingHost = await _hosts.StartConsumerAsync("ranking", ranking);
        await using var notificationHost = await _hosts.StartConsumerAsync("notification", notifications);
        await using var publisher = await _hosts.StartPublisherAsync();

        var gift = new ScriptedEvent("gift sent");
        await publisher.EventBus.PublishAsync(gift);

        await Eventually.TrueAsync(() => ranking.Handled.Count == 1 && notifications.Handled.Count == 1,
            "both services handled the event");
        await Task.Delay(Eventually.Settle);
        Assert.Equal([gift], ranking.Handled);
        Assert.Equal([gift], notifications.Handled);
    }

    [Fact]
    public async Task Event_published_while_the_consumer_was_stopped_is_handled_exactly_once_when_it_starts_again()
    {
        var log = new HandlerLog();
        await using (await _hosts.StartConsumerAsync(Service, log))
        {
            // Running once is what makes the service's consumer group exist.
        }

        await using var publisher = await _hosts.StartPublisherAsync();
        ScriptedEvent[] published = [new("first while down"), new("second while down"), new("third while down")];
        foreach (var @event in published) await publisher.EventBus.PublishAsync(@event);
        Assert.Empty(log.Handled);

        await using var restarted = await _hosts.StartConsumerAsync(Service, log);

        await Eventually.TrueAsync(() => log.Handled.Count == published.Length, "the restarted consumer caught up");
        await Task.Delay(Eventually.Settle);
        Assert.Equal(published, log.Handled);
        Assert.All(published, @event => Assert.Single(log.AttemptTimestamps(@event.Id)));
        Assert.Equal(0, await redis.Raw.PendingCountAsync(_hosts.Stream, Service));
    }

    [Fact]
    public async Task Event_a_consumer_was_handling_when_it_stopped_is_handled_as_soon_as_it_starts_again()
    {
        var log = new HandlerLog();
        // Far beyond the test's length: only the consumer's own start-up can hand the entry out again.
        var noClaims = new Dictionary<string, string?> { ["EventBus:ClaimIdleTime"] = "00:10:00" };
        var interrupted = new ScriptedEvent("interrupted", HangsOnFirstAttempt: true);
        await using (var consumer = await _hosts.StartConsumerAsync(Service, log, noClaims))
        {
            await using var publisher = await _hosts.StartPublisherAsync();
            await publisher.EventBus.PublishAsync(interrupted);
            await Eventually.TrueAsync(() => log.AttemptTimestamps(interrupted.Id).Count == 1, "the handler started");
        }

        Assert.Equal(1, await redis.Raw.PendingCountAsync(_hosts.Stream, Service));
        Assert.Empty(log.Handled);

        await using var restarted = await _hosts.StartConsumerAsync(Service, log, noClaims);

        await Eventually.TrueAsync(() => log.Handled.Count == 1, "the restarted consumer handled the event");
        Assert.Equal(2, log.AttemptTimestamps(interrupted.Id).Count);
        Assert.Equal(0, await redis.Raw.PendingCountAsync(_hosts.Stream, Service));
    }

    [Fact]
    public async Task Consumer_is_woken_by_the_publish_notification_without_waiting_for_its_poll()
    {
        var log = new HandlerLog();
        await using var consumer = await _hosts.StartConsumerAsync(Service, log,
            new Dictionary<string, string?> { ["EventBus:PollInterval"] = "00:01:00" });
        await using var publisher = await _hosts.StartPublisherAsync();
        // Let the consumer finish its first pass and go to sleep for its long poll interval.
        await Task.Delay(300);

        var published = Stopwatch.StartNew();
        await publisher.EventBus.PublishAsync(new ScriptedEvent("wake up"));

        await Eventually.TrueAsync(() => log.Handled.Count == 1, "the consumer handled the event");
        Assert.True(published.Elapsed < TimeSpan.FromSeconds(5), $"handled after {published.Elapsed}");
    }

    [Fact]
    public async Task Failing_handler_is_retried_after_a_backoff_until_it_succeeds()
    {
        var log = new HandlerLog();
        await using var consumer = await _hosts.StartConsumerAsync(Service, log);
        await using var publisher = await _hosts.StartPublisherAsync();

        // Succeeds on the third and last delivery the settings allow.
        var flaky = new ScriptedEvent("flaky", FailuresBeforeSuccess: 2);
        await publisher.EventBus.PublishAsync(flaky);

        await Eventually.TrueAsync(() => log.Handled.Count == 1, "the handler succeeded");
        await Task.Delay(Eventually.Settle);
        Assert.Equal([flaky], log.Handled);
        var attempts = log.AttemptTimestamps(flaky.Id);
        Assert.Equal(3, attempts.Count);
        // RetryDelay 100 ms doubles per attempt: not retried in a hot loop.
        Assert.True(Stopwatch.GetElapsedTime(attempts[0], attempts[1]) >= TimeSpan.FromMilliseconds(90));
        Assert.True(Stopwatch.GetElapsedTime(attempts[1], attempts[2]) >= TimeSpan.FromMilliseconds(180));
        Assert.Equal(0, await redis.Raw.StreamLengthAsync(_hosts.DeadLetterStream));
        Assert.Equal(0, await redis.Raw.PendingCountAsync(_hosts.Stream, Service));
    }

    [Fact]
    public async Task Event_whose_handler_always_fails_goes_to_the_dead_letter_stream_after_max_attempts_and_later_events_are_handled()
    {
        var log = new HandlerLog();
        await using var consumer = await _hosts.StartConsumerAsync(Service, log);
        await using var publisher = await _hosts.StartPublisherAsync();

        var poison = new ScriptedEvent("poison", ScriptedEvent.AlwaysFails);
        var next = new ScriptedEvent("next");
        await publisher.EventBus.PublishAsync(poison);
        await publisher.EventBus.PublishAsync(next);

        await Eventually.TrueAsync(async () => await redis.Raw.StreamLengthAsync(_hosts.DeadLetterStream) == 1,
            "the poison event was dead-lettered");
        await Task.Delay(Eventually.Settle);
        Assert.Equal([next], log.Handled);
        Assert.Equal(3, log.AttemptTimestamps(poison.Id).Count);
        var deadLetter = Assert.Single(await redis.Raw.EntriesAsync(_hosts.DeadLetterStream));
        Assert.Equal(poison.Id.ToString(), deadLetter["id"]);
        Assert.Equal(nameof(ScriptedEvent), deadLetter["type"]);
        Assert.Contains("\"label\":\"poison\"", deadLetter["body"], StringComparison.Ordinal);
        Assert.Equal(Service, deadLetter["group"]);
        Assert.Equal("3", deadLetter["attempts"]);
        Assert.Contains("Scripted failure 3 of poison", deadLetter["error"], StringComparison.Ordinal);
        Assert.Equal(0, await redis.Raw.PendingCountAsync(_hosts.Stream, Service));
    }

    [Fact]
    public async Task Entry_that_cannot_be_deserialized_goes_straight_to_the_dead_letter_stream()
    {
        var log = new HandlerLog();
        await using var consumer = await _hosts.StartConsumerAsync(Service, log);
        await using var publisher = await _hosts.StartPublisherAsync();

        await redis.Raw.AddEntryAsync(_hosts.Stream, "id", Guid.NewGuid().ToString(), "type", nameof(ScriptedEvent),
            "body", "{ this is not json");
        var next = new ScriptedEvent("next");
        await publisher.EventBus.PublishAsync(next);

        await Eventually.TrueAsync(() => log.Handled.Count == 1, "the next event was handled");
        var deadLetter = Assert.Single(await redis.Raw.EntriesAsync(_hosts.DeadLetterStream));
        Assert.Equal("{ this is not json", deadLetter["body"]);
        Assert.Equal("1", deadLetter["attempts"]);
        Assert.StartsWith("Unreadable ScriptedEvent", deadLetter["error"], StringComparison.Ordinal);
        Assert.Equal(0, await redis.Raw.PendingCountAsync(_hosts.Stream, Service));
    }

    [Fact]
    public async Task Event_left_pending_by_a_dead_consumer_is_claimed_and_handled_by_another_after_the_idle_time()
    {
        await redis.Raw.CreateGroupAsync(_hosts.Stream, Service);
        await using var publisher = await _hosts.StartPublisherAsync();
        var orphan = new ScriptedEvent("orphan");
        await publisher.EventBus.PublishAsync(orphan);
        Assert.Single(await redis.Raw.ReadAndAbandonAsync(_hosts.Stream, Service, "dead-consumer"));
        var abandoned = Stopwatch.StartNew();

        var log = new HandlerLog();
        await using var survivor = await _hosts.StartConsumerAsync(Service, log,
            new Dictionary<string, string?> { ["EventBus:ConsumerName"] = "survivor" });

        await Eventually.TrueAsync(() => log.Handled.Count == 1, "the survivor handled the orphan");
        // ClaimIdleTime is 500 ms; Redis started counting a little before the stopwatch.
        Assert.True(abandoned.Elapsed >= TimeSpan.FromMilliseconds(450), $"claimed after only {abandoned.Elapsed}");
        await Task.Delay(Eventually.Settle);
        Assert.Equal([orphan], log.Handled);
        Assert.Equal(0, await redis.Raw.PendingCountAsync(_hosts.Stream, Service));
    }

    [Fact]
    public async Task Event_published_again_with_an_already_processed_id_does_not_reach_the_handler_twice()
    {
        var log = new HandlerLog();
        await using var consumer = await _hosts.StartConsumerAsync(Service, log);
        await using var publisher = await _hosts.StartPublisherAsync();

        var gift = new ScriptedEvent("gift");
        await publisher.EventBus.PublishAsync(gift);
        await Eventually.TrueAsync(() => log.Handled.Count == 1, "the event was handled");
        // As an outbox relay does when it dies after publishing and before marking the row published.
        await publisher.EventBus.PublishAsync(gift);
        var marker = new ScriptedEvent("marker");
        await publisher.EventBus.PublishAsync(marker);

        // Entries are handled in order, so the duplicate has been dealt with once the marker is handled.
        await Eventually.TrueAsync(() => log.Handled.Count == 2, "the marker was handled");
        Assert.Equal([gift, marker], log.Handled);
        Assert.Single(log.AttemptTimestamps(gift.Id));
        Assert.Equal(3, await redis.Raw.StreamLengthAsync(_hosts.Stream));
        Assert.Equal(0, await redis.Raw.PendingCountAsync(_hosts.Stream, Service));
    }

    [Fact]
    public async Task Redelivered_event_recorded_as_processed_before_its_consumer_died_is_acknowledged_without_handling()
    {
        await redis.Raw.CreateGroupAsync(_hosts.Stream, Service);
        await using var publisher = await _hosts.StartPublisherAsync();
        var gift = new ScriptedEvent("handled just before the crash");
        await publisher.EventBus.PublishAsync(gift);
        // The dead consumer handled it and recorded it, then died before its XACK.
        await redis.Raw.ReadAndAbandonAsync(_hosts.Stream, Service, "dead-consumer");
        await redis.Raw.Database.StringSetAsync(_hosts.ProcessedKey(Service, gift.Id), "1");

        var log = new HandlerLog();
        await using var survivor = await _hosts.StartConsumerAsync(Service, log,
            new Dictionary<string, string?> { ["EventBus:ConsumerName"] = "survivor" });

        await Eventually.TrueAsync(async () => await redis.Raw.PendingCountAsync(_hosts.Stream, Service) == 0,
            "the survivor claimed and acknowledged the entry");
        Assert.Empty(log.AttemptTimestamps(gift.Id));
        Assert.Equal(0, await redis.Raw.StreamLengthAsync(_hosts.DeadLetterStream));
    }
}
