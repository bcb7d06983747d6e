using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using LiveMicro.Rank.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LiveMicro.Rank.Boards;

/// <summary>The boards this instance's WebSockets watch. A change announced on Redis (by whichever instance counted
/// the gift) marks the watched boards it moved; each push interval, every marked board is read once and its new top
/// handed to all of its watchers, however many there are and however many gifts arrived meanwhile.</summary>
public sealed partial class BoardFeeds(IConnectionMultiplexer redis, Leaderboards boards, IOptions<RankOptions> options,
    TimeProvider time, ILogger<BoardFeeds> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<(BoardId Board, int Top), BoardFeed> _feeds = new();

    // what was announced since the last tick: one write per announcement, matched against the feeds once per tick
    private readonly ConcurrentDictionary<string, bool> _changedTopics = new();

    /// <summary>The feed of <paramref name="board"/>'s top <paramref name="top"/>, its first state read; dispose the
    /// returned watch when the socket ends.</summary>
    public async Task<BoardWatch> WatchAsync(BoardId board, int top)
    {
        while (true)
        {
            var feed = _feeds.GetOrAdd((board, top), key => new BoardFeed(key.Board, key.Top));
            if (!feed.TryAddWatcher()) continue; // removed by its last watcher meanwhile
            try
            {
                if (feed.Latest is null) await RefreshAsync(feed);
                return new BoardWatch(this, feed);
            }
            catch
            {
                Unwatch(feed);
                throw;
            }
        }
    }

    internal void Unwatch(BoardFeed feed)
    {
        if (feed.RemoveWatcher()) _feeds.TryRemove(new KeyValuePair<(BoardId, int), BoardFeed>((feed.Board, feed.Top), feed));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await redis.GetSubscriber().SubscribeAsync(boards.ChangesChannel, (_, topic) =>
        {
            if (!topic.IsNullOrEmpty) _changedTopics[topic!] = true;
        });
        using var timer = new PeriodicTimer(options.Value.PushInterval, time);
        var today = time.GetUtcNow().UtcDateTime.Date;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (time.GetUtcNow().UtcDateTime.Date != today)
            {
                // at midnight (UTC) the day's board is a new one, though nothing was announced
                today = time.GetUtcNow().UtcDateTime.Date;
                foreach (var feed in _feeds.Values)
                {
                    if (feed.Board == BoardId.AnchorsOf(AnchorsBoard.Daily)) feed.MarkChanged();
                }
            }

            MarkAnnouncedChanges();
            foreach (var feed in _feeds.Values)
            {
                if (!feed.TakeChanged()) continue;
                try
                {
                    await RefreshAsync(feed);
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    feed.MarkChanged(); // tried again next interval
                    LogRefreshFailed(logger, feed.Topic, e.Message);
                }
            }
        }
    }

    private void MarkAnnouncedChanges()
    {
        if (_changedTopics.IsEmpty) return;
        // taken out before the feeds are marked: an announcement arriving meanwhile is kept for the next tick
        var changed = new HashSet<string>();
        foreach (var topic in _changedTopics.Keys)
        {
            if (_changedTopics.TryRemove(topic, out _)) changed.Add(topic);
        }

        foreach (var feed in _feeds.Values)
        {
            if (changed.Contains(feed.Topic)) feed.MarkChanged();
        }
    }

    private async Task RefreshAsync(BoardFeed feed)
    {
        var board = await boards.TopAsync(feed.Board, feed.Top, time.GetUtcNow().UtcDateTime.Date);
        feed.Publish(JsonSerializer.SerializeToUtf8Bytes(new BoardMessage(feed.Board.Describe(), board.Entries, board.BroadcastStartedAt),
            JsonSerializerOptions.Web));
    }

    [LoggerMessage(LogLevel.Warning, "Board {Topic} could not be read for its watchers: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string topic, string reason);
}

/// <summary>What a watcher is sent: the board's name and its current top; a broadcast's board says when the broadcast
/// started (a new start is a new, empty board).</summary>
public sealed record BoardMessage(
    string Board,
    IReadOnlyList<BoardEntry> Entries,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? BroadcastStartedAt)
{
    public string Type => "board";
}

/// <summary>One board at one length, shared by its watchers: the latest message and a signal for the next.</summary>
public sealed class BoardFeed(BoardId board, int top)
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _watchers;
    private int _changed;

    public BoardId Board => board;

    public int Top => top;

    /// <summary>The board's <see cref="BoardId.Topic"/>, made once.</summary>
    public string Topic { get; } = board.Topic;

    public byte[]? Latest { get; private set; }

    /// <summary>Completes when a newer <see cref="Latest"/> is there.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>False once the feed has lost its last watcher and is being removed.</summary>
    public bool TryAddWatcher()
    {
        while (true)
        {
            var watchers = Volatile.Read(ref _watchers);
            if (watchers < 0) return false;
            if (Interlocked.CompareExchange(ref _watchers, watchers + 1, watchers) == watchers) return true;
        }
    }

    /// <summary>True for the last watcher, which closes the feed.</summary>
    public bool RemoveWatcher()
    {
        if (Interlocked.Decrement(ref _watchers) != 0) return false;
        return Interlocked.CompareExchange(ref _watchers, -1, 0) == 0;
    }

    public void MarkChanged() => Volatile.Write(ref _changed, 1);

    public bool TakeChanged() => Interlocked.Exchange(ref _changed, 0) == 1;

    public void Publish(byte[] message)
    {
        Latest = message;
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).SetResult();
    }
}

public sealed class BoardWatch(BoardFeeds feeds, BoardFeed feed) : IDisposable
{
    public BoardFeed Feed => feed;

    public void Dispose() => feeds.Unwatch(feed);
}
