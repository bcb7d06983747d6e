using Microsoft.Extensions.Options;

namespace LiveMicro.Interact.Lotteries;

/// <summary>Draws lotteries whose closing time has come. Every instance runs one; the row lock and status check in
/// <see cref="LotteryService.DrawAsync"/> make each draw happen once.</summary>
public sealed partial class LotteryDrawer(IServiceScopeFactory scopes, IOptions<LotteryOptions> options, TimeProvider time,
    ILogger<LotteryDrawer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.DrawInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var lotteries = scope.ServiceProvider.GetRequiredService<LotteryService>();
                foreach (var id in await lotteries.FindDueAsync(stoppingToken))
                {
                    await lotteries.DrawAsync(id, ownerId: null, stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogDrawFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Drawing due lotteries failed; retrying at the next tick")]
    private static partial void LogDrawFailed(ILogger logger, Exception exception);
}
