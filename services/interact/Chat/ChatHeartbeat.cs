using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LiveMicro.Interact.Chat;

/// <summary>One loop for all connections (no timer per connection). Once per heartbeat interval it pings every local
/// client (one frame, serialised once, sent through every room) and drops those that left two pings unanswered. Four
/// times per interval it renews this instance's liveness key in Redis (TTL one interval; entering its connections
/// again if the others had given it up for dead) and removes the viewers of instances whose key expired, pushing their
/// leaves: a dead instance's viewers are gone 1 to 1 1/4 heartbeats after its last renewal.</summary>
public sealed partial class ChatHeartbeat(LocalConnections local, RoomPresence presence, ChatPublisher publisher,
    IOptions<ChatOptions> options, TimeProvider time, ILogger<ChatHeartbeat> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval / RoomPresence.RenewalsPerHeartbeat, time);
        var tick = 0;
        do
        {
            if (tick++ % RoomPresence.RenewalsPerHeartbeat == 0) PingClients();
            try
            {
                await RenewAsync();
                foreach (var change in await presence.ReapDeadInstancesAsync())
                {
                    await publisher.PublishPresenceAsync(change, entered: false);
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                LogHeartbeatFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private void PingClients()
    {
        foreach (var connection in local.All)
        {
            if (connection.CountPing() >= 2) connection.Drop(WebSocketCloseStatus.PolicyViolation, "missed two heartbeats");
        }

        // through the rooms' walks, not a send of its own per client: in a busy room the ping rides along in the
        // writes that go out anyway (a separate sweep cost a whole extra pass over the room every interval)
        local.DeliverToAll(new ChatFrame(new PingMessage(time.GetUtcNow().ToUnixTimeMilliseconds())));
    }

    private async Task RenewAsync()
    {
        if (!await presence.RenewInstanceAsync()) return;
        // new, or reaped while it was paused: its connections are entered again (entering is idempotent)
        foreach (var connection in local.All) await presence.EnterAsync(connection);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        foreach (var connection in local.All) connection.Drop(WebSocketCloseStatus.EndpointUnavailable, "server shutting down");
        try
        {
            await presence.LeaveInstanceAsync();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogHeartbeatFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chat heartbeat could not reach Redis")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception);
}
