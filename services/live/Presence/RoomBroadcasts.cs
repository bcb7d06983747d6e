using System.Collections.Concurrent;
using LiveMicro.Contracts;
using LiveMicro.EventBus;
using LiveMicro.Live.Configuration;
using LiveMicro.Live.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LiveMicro.Live.Presence;

/// <summary>Carries viewer counts and room states to every instance's sockets. A change made here is announced
/// on Redis pub/sub; each instance with sockets in that room reads the count once and pushes it, coalesced to at
/// most one push per room per <see cref="LiveOptions.CountPushInterval"/>. The instance that made the change
/// also publishes <see cref="ViewerCountChanged"/> and stores the count for room lists.</summary>
public sealed partial class RoomBroadcasts(
    IConnectionMultiplexer redis,
    ViewerPresence presence,
    RoomSockets sockets,
    IServiceScopeFactory scopes,
    IOptions<LiveOptions> options,
    ILogger<RoomBroadcasts> logger) : BackgroundService
{
    private const string CountChannel = "livemicro:live:viewer-counts";
    private const string StatusChannel = "livemicro:live:room-status";

    private readonly ConcurrentDictionary<long, bool> _changedHere = new();
    private readonly ConcurrentDictionary<long, bool> _changedElsewhere = new();
    private readonly ConcurrentDictionary<long, long> _lastPushed = new();

    /// <summary>This instance changed the room's viewers (join, leave, sweep).</summary>
    public void CountChanged(long roomId) => _changedHere[roomId] = true;

    /// <summary>Tells every instance's sockets in the room its new state; "ended" also closes them.</summary>
    public Task StatusChangedAsync(long roomId, string status) =>
        redis.GetSubscriber().PublishAsync(StatusChannel, $"{roomId}:{status}");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var subscriber = redis.GetSubscriber();
        await subscriber.SubscribeAsync(CountChannel, (_, message) =>
        {
            if (long.TryParse((string?)message, out var roomId) && sockets.HasRoom(roomId)) _changedElsewhere[roomId] = true;
        });
        await subscriber.SubscribeAsync(StatusChannel, (_, message) => OnStatus(message));

        await Task.WhenAll(PushCountsAsync(stoppingToken), MaintainLeasesAsync(stoppingToken));
    }

    private async Task PushCountsAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CountPushInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var roomId in Drain(_changedHere))
            {
                await GuardAsync(() => PublishOwnChangeAsync(roomId, stoppingToken), roomId);
            }

            foreach (var roomId in Drain(_changedElsewhere))
            {
                await GuardAsync(async () => PushLocally(roomId, await presence.CountAsync(roomId)), roomId);
            }
        }
    }

    private async Task PublishOwnChangeAsync(long roomId, CancellationToken cancellationToken)
    {
        var count = await presence.CountAsync(roomId);
        await redis.GetSubscriber().PublishAsync(CountChannel, roomId);
        PushLocally(roomId, count);

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LiveDbContext>();
        var anchor = await db.Database.SqlQuery<long>($"""
            UPDATE rooms SET viewer_count = {count} WHERE id = {roomId} AND viewer_count <> {count} RETURNING anchor_id AS "Value"
            """).ToListAsync(cancellationToken);
        if (anchor.Count == 1)
        {
            await scope.ServiceProvider.GetRequiredService<IEventBus>()
                .PublishAsync(new ViewerCountChanged(roomId, anchor[0], count), cancellationToken);
        }
    }

    private void PushLocally(long roomId, long count)
    {
        if (_lastPushed.TryGetValue(roomId, out var last) && last == count) return;
        _lastPushed[roomId] = count;
        sockets.Broadcast(roomId, RoomMessages.Viewers(roomId, count));
    }

    /// <summary>Renews the leases of this instance's connections and drops expired ones anywhere, so the viewers
    /// of an instance that died vanish within <see cref="LiveOptions.ConnectionLease"/>.</summary>
    private async Task MaintainLeasesAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var roomId in sockets.RoomIds)
            {
                var connections = sockets.InRoom(roomId).Select(s => (s.Viewer, s.ConnectionId)).ToList();
                if (connections.Count > 0)
                {
                    await GuardAsync(() => presence.JoinManyAsync(roomId, connections, options.Value.ConnectionLease), roomId);
                }
            }

            await GuardAsync(async () =>
            {
                foreach (var roomId in await presence.SweepAsync()) CountChanged(roomId);
            }, roomId: 0);
        }
    }

    private void OnStatus(RedisValue message)
    {
        var text = (string?)message ?? "";
        var separator = text.IndexOf(':', StringComparison.Ordinal);
        if (separator < 0 || !long.TryParse(text.AsSpan(0, separator), out var roomId)) return;
        var status = text[(separator + 1)..];
        sockets.Broadcast(roomId, RoomMessages.Status(roomId, status));
        if (status == RoomStatuses.Ended)
        {
            foreach (var socket in sockets.InRoom(roomId)) socket.EndRoom();
        }
    }

    private async Task GuardAsync(Func<Task> work, long roomId)
    {
        try
        {
            await work();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // a failed push or sweep costs one round; the next change or sweep brings the count back, and the loop
            // (whose death would stop the host) goes on
            LogUpkeepFailed(logger, roomId, e);
        }
    }

    private static List<long> Drain(ConcurrentDictionary<long, bool> changed)
    {
        var rooms = changed.Keys.ToList();
        foreach (var roomId in rooms) changed.TryRemove(roomId, out _);
        return rooms;
    }

    [LoggerMessage(LogLevel.Warning, "Viewer count upkeep failed for room {RoomId}")]
    private static partial void LogUpkeepFailed(ILogger logger, long roomId, Exception exception);
}
