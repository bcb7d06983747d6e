using LiveMicro.Interact.Chat;
using StackExchange.Redis;

namespace LiveMicro.Interact.Lotteries;

/// <summary>Joins a keyword lottery when a signed-in viewer's danmaku is its keyword (case-insensitive). The danmaku
/// itself has gone out already, so a failure here is logged, not answered.</summary>
public sealed partial class LotteryKeywords(IConnectionMultiplexer redis, IServiceScopeFactory scopes, ILogger<LotteryKeywords> logger)
{
    public async Task TryJoinAsync(ChatConnection connection, string text)
    {
        if (connection.UserId is not { } userId || text.Length > 50) return;
        var lotteryId = await redis.GetDatabase().HashGetAsync(ChatKeys.LotteryKeywords(connection.RoomId), text.ToLowerInvariant());
        if (lotteryId.IsNull) return;

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<LotteryService>()
                .JoinAsync((long)lotteryId, userId, connection.Name ?? "", connection.AccessToken, connection.Aborted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogJoinFailed(logger, e, (long)lotteryId, userId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Keyword join of lottery {LotteryId} by user {UserId} failed")]
    private static partial void LogJoinFailed(ILogger logger, Exception exception, long lotteryId, long userId);
}
