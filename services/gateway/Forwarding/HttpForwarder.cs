using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using LiveMicro.Gateway.Clusters;
using LiveMicro.Gateway.Configuration;
using LiveMicro.Gateway.Upstream;
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
public sealed partial class HttpForwarder(UpgradeHttpInvoker upgradeInvoker, IOptions<ResilienceOptions> resilience,
    ILogger<HttpForwarder> logger)
{
    private const int TunnelBufferSize = 16 * 1024;

    private readonly int _maxRetryAttempts = resilience.Value.MaxRetryAttempts;

    public Task ForwardAsync(HttpContext context, ProxyRoute route) =>
        context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade
            ? ForwardUpgradeAsync(context, route, () => new ValueTask<Stream>(upgrade.UpgradeAsync()), overHttp2: false)
            : WebSocketConnect.Of(context) is { } connect ? ForwardUpgradeAsync(context, route, connect.AcceptAsync, overHttp2: true)
            : ForwardHttpAsync(context, route);

    private async Task ForwardHttpAsync(HttpContext context, ProxyRoute route)
    {
        var attempt = new ContextForwardAttempt(context, route);
        UpstreamConnection? connection = null;
        try
        {
            connection = await SendAsync(attempt, static (timeout, state) => state.SendAsync(timeout), attempt);
            if (connection is null) return;
            context.Response.StatusCode = connection.Head.StatusCode;
            ProxyHeaders.CopyResponseHeaders(connection, context.Response);
            if (!await CopyBodyAsync(context, connection, route) || !connection.CanBeReused) return;
            attempt.Destination!.Connections.Return(connection);
            connection = null;
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            await AnswerFailureAsync(context, route, e);
        }
        finally
        {
            connection?.Dispose();
            attempt.Complete();
        }
    }

    /// <summary>A WebSocket, opened by an HTTP/1.1 upgrade or an HTTP/2 extended CONNECT (<paramref name="accept"/>
    /// answers it and gives the client's stream), forwarded to the destination as an HTTP/1.1 upgrade.</summary>
    private async Task ForwardUpgradeAsync(HttpContext context, ProxyRoute route, Func<ValueTask<Stream>> accept, bool overHttp2)
    {
        var attempt = new ContextForwardAttempt(context, route);
        try
        {
            using var response = await SendAsync(attempt,
                static (timeout, state) => state.Attempt.SendUpgradeAsync(state.Invoker, timeout), (Attempt: attempt, Invoker: (HttpMessageInvoker)upgradeInvoker));
            if (response is null) return;
            var opened = response.StatusCode == HttpStatusCode.SwitchingProtocols;
            context.Response.StatusCode = opened && overHttp2 ? StatusCodes.Status200OK : (int)response.StatusCode;
            ProxyHeaders.CopyUpgradeResponseHeaders(response, context.Response, overHttp2);
            if (opened) await TunnelAsync(accept, response, context.RequestAborted);
            else await CopyBodyAsync(context, response, route);
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            await AnswerFailureAsync(context, route, e);
        }
        finally
        {
            attempt.Complete();
        }
    }

    // the gateway runs ahead of the exception handler middleware, so it answers for its own failures
    private Task AnswerFailureAsync(HttpContext context, ProxyRoute route, Exception e)
    {
        LogForwardingFailed(logger, route.Id, e);
        context.Response.Clear();
        return GatewayProblems.WriteAsync(context, StatusCodes.Status500InternalServerError, "gateway-error",
            "The gateway failed to forward the request.");
    }

    /// <summary>Retries (at another destination where there is one) only what <see cref="ForwardAttempt.CanRetry"/>
    /// allows, and a request an open circuit refused, which never left the gateway; each attempt goes through its
    /// destination's breaker and keeps the route's timeout (<paramref name="send"/> is given it). Null when the
    /// gateway answered.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<TResponse?> SendAsync<TResponse, TState>(ForwardAttempt attempt,
        Func<TimeSpan, TState, ValueTask<TResponse>> send, TState state) where TResponse : class
    {
        var route = attempt.Route;
        var aborted = attempt.Aborted;
        try
        {
            for (var retry = 0; ; retry++)
            {
                var destination = attempt.NextDestination();
                try
                {
                    return destination.IsCircuitClosed
                        ? await SendOnClosedCircuitAsync(destination, route.Timeout, send, state)
                        : await SendThroughBreakerAsync(destination, route.Timeout, send, state, aborted);
                }
                catch (HttpRequestException e) when (retry < _maxRetryAttempts && attempt.CanRetry(e))
                {
                    LogRetrying(logger, route.Id, destination.Address, e.Message);
                }
                catch (BrokenCircuitException) when (retry < _maxRetryAttempts && route.Cluster.HasUsableOtherThan(destination))
                {
                    // the circuit opened (or its probe went out) after the destination was picked
                }
            }
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            LogClientAborted(logger, route.Id);
        }
        catch (BrokenCircuitException e)
        {
            await attempt.AnswerProblemAsync(StatusCodes.Status503ServiceUnavailable, "circuit-open",
                "The service is failing; the gateway is not sending it requests for a moment.",
                $"Cluster '{route.Cluster.Id}'.", e.RetryAfter ?? TimeSpan.FromSeconds(1));
        }
        catch (NoHealthyDestinationException e)
        {
            await attempt.AnswerProblemAsync(StatusCodes.Status503ServiceUnavailable, "no-healthy-destination",
                "No instance of the service is available.", e.Message, TimeSpan.FromSeconds(1));
        }
        catch (TimeoutRejectedException e)
        {
            LogUpstreamTimeout(logger, route.Id, attempt.Destination?.Address, e.Timeout);
            await attempt.AnswerProblemAsync(StatusCodes.Status504GatewayTimeout, "upstream-timeout",
                "The service did not answer in time.", $"Route '{route.Id}' allows {e.Timeout.TotalSeconds:0.###} s.", null);
        }
        catch (HttpRequestException e)
        {
            LogUpstreamFailed(logger, route.Id, attempt.Destination?.Address, e.HttpRequestError, e.Message);
            await attempt.AnswerProblemAsync(StatusCodes.Status502BadGateway, "bad-gateway",
                "The service could not be reached.", $"Cluster '{route.Cluster.Id}': {e.HttpRequestError}.", null);
        }

        return null;
    }

    /// <summary>An attempt through the destination's breaker, which decides whether it goes (open: refused;
    /// half-open: the one probe).</summary>
    private static async ValueTask<TResponse> SendThroughBreakerAsync<TResponse, TState>(DestinationState destination,
        TimeSpan timeout, Func<TimeSpan, TState, ValueTask<TResponse>> send, TState state, CancellationToken aborted)
    {
        var resilience = ResilienceContextPool.Shared.Get(aborted);
        try
        {
            return await destination.Resilience.ExecuteAsync(static (_, s) => s.Send(s.Timeout, s.State), resilience,
                (Send: send, Timeout: timeout, State: state));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(resilience);
        }
    }

    /// <summary>An attempt while the destination's circuit is closed, without the pipeline's execution machinery
    /// (an async step per strategy): a closed breaker lets every attempt through and only records its outcome, so
    /// the attempt runs here and its outcome goes through the breaker afterwards, where it completes at once. A
    /// failure counts and opens the circuit exactly as it would have inside; an outcome that arrives after another
    /// attempt opened the circuit is not counted, as the breaker ignores those too.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<TResponse> SendOnClosedCircuitAsync<TResponse, TState>(DestinationState destination,
        TimeSpan timeout, Func<TimeSpan, TState, ValueTask<TResponse>> send, TState state)
    {
        TResponse response;
        try
        {
            response = await send(timeout, state);
        }
        // a client that went away says nothing about the destination (see DestinationFactory.IsFailure)
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await RecordAsync(destination, Outcome.FromException<TResponse>(e));
            throw;
        }

        await RecordAsync(destination, Outcome.FromResult(response));
        return response;
    }

    /// <summary>Runs an outcome already known through the destination's breaker, for it to count.</summary>
    private static async ValueTask RecordAsync<TResponse>(DestinationState destination, Outcome<TResponse> outcome)
    {
        var context = ResilienceContextPool.Shared.Get();
        try
        {
            await destination.Resilience.ExecuteOutcomeAsync(static (_, known) => ValueTask.FromResult(known), context, outcome);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Writes the body as it arrives and flushes only before waiting for more, so a response that came
    /// whole leaves with its head in one send and a live HTTP-FLV stream reaches the player as it arrives. False when
    /// the body broke off (the client's connection is then aborted) or the client went away.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> CopyBodyAsync(HttpContext context, UpstreamConnection connection, ProxyRoute route)
    {
        var aborted = context.RequestAborted;
        var client = context.Response.BodyWriter;
        try
        {
            while (true)
            {
                while (connection.TryReadBody(out var data)) client.Write(data.Span);
                if (connection.IsBodyComplete) return true;
                var flushed = await client.FlushAsync(aborted);
                if (flushed.IsCompleted || flushed.IsCanceled) return false;
                await connection.ReceiveBodyAsync(aborted);
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
        {
            if (!aborted.IsCancellationRequested) LogUpstreamBodyFailed(logger, route.Id, e.Message);
            context.Abort();
            return false;
        }
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
    private static async Task TunnelAsync(Func<ValueTask<Stream>> accept, HttpResponseMessage response, CancellationToken aborted)
    {
        await using var destination = await response.Content.ReadAsStreamAsync(aborted);
        await using var client = await accept();
        using var tunnel = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var clientToDestination = PumpAsync(client, destination, tunnel.Token);
        var destinationToClient = PumpAsync(destination, client, tunnel.Token);
        await Task.WhenAny(clientToDestination, destinationToClient);
        await tunnel.CancelAsync();
        await Task.WhenAll(clientToDestination, destinationToClient);
    }

    /// <summary>Copies until <paramref name="from"/> ends. A chat viewer's WebSocket is idle most of its life, so each
    /// side waits for data with a zero-byte read and holds a pooled buffer only while bytes are moving
    /// (<c>CopyToAsync</c> held 80 KiB per direction for the connection's whole life).</summary>
    private static async Task PumpAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                // completes when data has arrived (or the stream ended); what it returns means nothing
                _ = await from.ReadAsync(Memory<byte>.Empty, cancellationToken);
                var buffer = ArrayPool<byte>.Shared.Rent(TunnelBufferSize);
                try
                {
                    var read = await from.ReadAsync(buffer, cancellationToken);
                    if (read == 0) return;
                    await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // the other side is gone; TunnelAsync closes both
        }
    }

    [LoggerMessage(LogLevel.Error, "Route {RouteId}: forwarding failed")]
    internal static partial void LogForwardingFailed(ILogger logger, string routeId, Exception exception);

    [LoggerMessage(LogLevel.Information, "Route {RouteId}: could not connect to {Destination} ({Reason}); trying again")]
    private static partial void LogRetrying(ILogger logger, string routeId, string destination, string reason);

    [LoggerMessage(LogLevel.Debug, "Route {RouteId}: the client went away")]
    private static partial void LogClientAborted(ILogger logger, string routeId);

    [LoggerMessage(LogLevel.Warning, "Route {RouteId}: {Destination} did not answer within {Timeout}")]
    private static partial void LogUpstreamTimeout(ILogger logger, string routeId, string? destination, TimeSpan timeout);

    [LoggerMessage(LogLevel.Warning, "Route {RouteId}: {Destination} failed ({Error}): {Reason}")]
    private static partial void LogUpstreamFailed(ILogger logger, string routeId, string? destination, HttpRequestError error, string reason);

    [LoggerMessage(LogLevel.Warning, "Route {RouteId}: the response body broke off: {Reason}")]
    internal static partial void LogUpstreamBodyFailed(ILogger logger, string routeId, string reason);
}
