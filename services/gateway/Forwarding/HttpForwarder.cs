using System.Net;
using LiveMicro.Gateway.Configuration;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace LiveMicro.Gateway.Forwarding;

/// <summary>Forwards one request to a destination of its route's cluster and streams the answer back; a WebSocket
/// upgrade becomes a byte tunnel between client and destination. What goes wrong before the response starts
/// becomes a problem answer (502 unreachable, 503 circuit open or nothing healthy, 504 too slow); after it starts,
/// the only honest signal left is to abort the client's connection.</summary>
public sealed partial class HttpForwarder(ForwarderHttpInvoker invoker, UpgradeHttpInvoker upgradeInvoker,
    IOptions<ResilienceOptions> resilience, ILogger<HttpForwarder> logger)
{
    private readonly int _maxRetryAttempts = resilience.Value.MaxRetryAttempts;

    public async Task ForwardAsync(HttpContext context, ProxyRoute route)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        var isUpgrade = upgrade is { IsUpgradableRequest: true };
        var attempt = new ForwardAttempt(context, route, isUpgrade ? upgradeInvoker : invoker, isUpgrade);
        var aborted = context.RequestAborted;
        try
        {
            var response = await SendAsync(attempt, aborted);
            if (response is null) return;
            using (response)
            {
                context.Response.StatusCode = (int)response.StatusCode;
                ProxyHeaders.CopyResponseHeaders(response, context.Response);
                if (isUpgrade && response.StatusCode == HttpStatusCode.SwitchingProtocols)
                    await TunnelAsync(upgrade!, response, aborted);
                else
                    await CopyBodyAsync(context, response, route);
            }
        }
        catch (Exception e) when (!context.Response.HasStarted && !aborted.IsCancellationRequested)
        {
            // the gateway runs ahead of the exception handler middleware, so it answers for its own failures
            LogForwardingFailed(logger, route.Id, e);
            context.Response.Clear();
            await GatewayProblems.WriteAsync(context, StatusCodes.Status500InternalServerError, "gateway-error",
                "The gateway failed to forward the request.");
        }
        finally
        {
            attempt.Complete();
        }
    }

    /// <summary>Retries (at another destination where there is one) only what <see cref="ForwardAttempt.CanRetry"/>
    /// allows; each attempt goes through its destination's breaker and timeout.</summary>
    private async Task<HttpResponseMessage?> SendAsync(ForwardAttempt attempt, CancellationToken aborted)
    {
        var context = attempt.Context;
        var route = attempt.Route;
        var resilience = ResilienceContextPool.Shared.Get(aborted);
        resilience.Properties.Set(ForwardAttempt.Key, attempt);
        try
        {
            for (var retry = 0; ; retry++)
            {
                var destination = attempt.NextDestination();
                try
                {
                    return await destination.Resilience.ExecuteAsync(static (ctx, a) => a.SendAsync(ctx.CancellationToken), resilience, attempt);
                }
                catch (HttpRequestException e) when (retry < _maxRetryAttempts && attempt.CanRetry(e))
                {
                    LogRetrying(logger, route.Id, destination.Address, e.Message);
                }
            }
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            LogClientAborted(logger, route.Id);
        }
        catch (BrokenCircuitException e)
        {
            await GatewayProblems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "circuit-open",
                "The service is failing; the gateway is not sending it requests for a moment.",
                $"Cluster '{route.Cluster.Id}'.", e.RetryAfter ?? TimeSpan.FromSeconds(1));
        }
        catch (NoHealthyDestinationException e)
        {
            await GatewayProblems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "no-healthy-destination",
                "No instance of the service is available.", e.Message, TimeSpan.FromSeconds(1));
        }
        catch (TimeoutRejectedException e)
        {
            LogUpstreamTimeout(logger, route.Id, attempt.Destination?.Address, e.Timeout);
            await GatewayProblems.WriteAsync(context, StatusCodes.Status504GatewayTimeout, "upstream-timeout",
                "The service did not answer in time.", $"Route '{route.Id}' allows {e.Timeout.TotalSeconds:0.###} s.");
        }
        catch (HttpRequestException e)
        {
            LogUpstreamFailed(logger, route.Id, attempt.Destination?.Address, e.HttpRequestError, e.Message);
            await GatewayProblems.WriteAsync(context, StatusCodes.Status502BadGateway, "bad-gateway",
                "The service could not be reached.", $"Cluster '{route.Cluster.Id}': {e.HttpRequestError}.");
        }
        finally
        {
            ResilienceContextPool.Shared.Return(resilience);
        }

        return null;
    }

    private async Task CopyBodyAsync(HttpContext context, HttpResponseMessage response, ProxyRoute route)
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(context.RequestAborted);
            // Kestrel flushes every write, so a live HTTP-FLV stream reaches the player as it arrives
            await body.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
        {
            if (!context.RequestAborted.IsCancellationRequested) LogUpstreamBodyFailed(logger, route.Id, e.Message);
            context.Abort();
        }
    }

    /// <summary>Pumps bytes both ways until either side closes. WebSocket frames pass untouched, close frames and
    /// their codes included; when one side's stream ends, the other side's connection is closed too.</summary>
    private static async Task TunnelAsync(IHttpUpgradeFeature upgrade, HttpResponseMessage response, CancellationToken aborted)
    {
        await using var destination = await response.Content.ReadAsStreamAsync(aborted);
        await using var client = await upgrade.UpgradeAsync();
        using var tunnel = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var clientToDestination = PumpAsync(client, destination, tunnel.Token);
        var destinationToClient = PumpAsync(destination, client, tunnel.Token);
        await Task.WhenAny(clientToDestination, destinationToClient);
        await tunnel.CancelAsync();
        await Task.WhenAll(clientToDestination, destinationToClient);
    }

    private static async Task PumpAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, cancellationToken);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // the other side is gone; TunnelAsync closes both
        }
    }

    [LoggerMessage(LogLevel.Error, "Route {RouteId}: forwarding failed")]
    private static partial void LogForwardingFailed(ILogger logger, string routeId, Exception exception);

    [LoggerMessage(LogLevel.Information, "Route {RouteId}: could not connect to {Destination} ({Reason}); trying again")]
    private static partial void LogRetrying(ILogger logger, string routeId, string destination, string reason);

    [LoggerMessage(LogLevel.Debug, "Route {RouteId}: the client went away")]
    private static partial void LogClientAborted(ILogger logger, string routeId);

    [LoggerMessage(LogLevel.Warning, "Route {RouteId}: {Destination} did not answer within {Timeout}")]
    private static partial void LogUpstreamTimeout(ILogger logger, string routeId, string? destination, TimeSpan timeout);

    [LoggerMessage(LogLevel.Warning, "Route {RouteId}: {Destination} failed ({Error}): {Reason}")]
    private static partial void LogUpstreamFailed(ILogger logger, string routeId, string? destination, HttpRequestError error, string reason);

    [LoggerMessage(LogLevel.Warning, "Route {RouteId}: the response body broke off: {Reason}")]
    private static partial void LogUpstreamBodyFailed(ILogger logger, string routeId, string reason);
}
