using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using LiveMicro.Gateway.Clusters;
using LiveMicro.Gateway.Upstream;
using Microsoft.AspNetCore.Http.Features;
using Polly.Timeout;

namespace LiveMicro.Gateway.Forwarding;

/// <summary>No destination of the cluster is healthy.</summary>
internal sealed class NoHealthyDestinationException(string clusterId)
    : Exception($"No destination of cluster '{clusterId}' is healthy.");

/// <summary>One client request on its way to a destination; each retry picks a destination anew, avoiding the one
/// that just failed, and sends the request again with the same (not yet read) body. Subclasses say where the request
/// comes from: Kestrel's <see cref="HttpContext"/>, or a head read straight off the connection.</summary>
internal abstract class ForwardAttempt
{
    private bool _bodyStarted;

    protected ForwardAttempt(ProxyRoute route) => Route = route;

    public DestinationState? Destination { get; private set; }

    public ProxyRoute Route { get; private set; }

    public abstract string Method { get; }

    /// <summary>Cancelled when the client went away.</summary>
    public abstract CancellationToken Aborted { get; }

    /// <summary>Whether the request has a body to forward.</summary>
    protected abstract bool HasBody { get; }

    /// <summary>Only a request the destination cannot have seen is retried: idempotent, failed while connecting,
    /// and its body not started.</summary>
    public bool CanRetry(HttpRequestException exception) =>
        exception.HttpRequestError == HttpRequestError.ConnectionError &&
        IsIdempotent(Method) &&
        !_bodyStarted;

    /// <summary>Moves to the next destination (another than the last where there is one); its breaker may still
    /// refuse.</summary>
    public DestinationState NextDestination()
    {
        var previous = Destination;
        var destination = Route.Cluster.PickDestination(avoid: previous) ?? throw new NoHealthyDestinationException(Route.Cluster.Id);
        previous?.RequestEnded();
        destination.RequestStarted();
        Destination = destination;
        return destination;
    }

    /// <summary>Sends the request over a pooled connection to the destination and reads the response head, within
    /// <paramref name="timeout"/> (the route's, for this attempt) and while the client is there; an attempt that runs
    /// out of time fails with <see cref="TimeoutRejectedException"/>, as Polly's timeout strategy reports it. A pooled
    /// connection the destination closed while it idled is replaced by a new one, as long as nothing of the response
    /// came back and no body was sent: the destination never saw the request.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<UpstreamConnection> SendAsync(TimeSpan timeout)
    {
        var pool = Destination!.Connections;
        var sweep = pool.Sweep;
        var deadline = sweep.DeadlineAfter(timeout);
        var aborted = Aborted;
        var hasBody = HasBody;
        while (true)
        {
            UpstreamConnection connection;
            try
            {
                connection = await pool.RentAsync(deadline, aborted);
            }
            catch (HttpRequestException) when (aborted.IsCancellationRequested)
            {
                throw new OperationCanceledException(aborted);
            }
            catch (HttpRequestException e) when (RanOutOfTime(e, sweep.Remaining(deadline), pool.ConnectTimeout))
            {
                throw TimedOut(timeout);
            }

            // from here the deadline and the client's token are kept by the sweep, which closes the connection to
            // end the wait: cheaper than a timer and a token registration per attempt
            connection.Watch(deadline, aborted);
            try
            {
                WriteRequestHead(connection.Output, pool);
                await connection.SendOutputAsync(CancellationToken.None);
                if (hasBody)
                {
                    _bodyStarted = true;
                    await SendBodyAsync(connection, sweep.Remaining(deadline), aborted);
                }

                await connection.ReadHeadAsync(HttpMethods.IsHead(Method), CancellationToken.None);
            }
            catch (Exception e)
            {
                var swept = !connection.EndWatch();
                connection.Dispose();
                // a client that went away is no failure of the destination's: the breaker must not count it
                if (aborted.IsCancellationRequested) throw new OperationCanceledException(aborted);
                if (swept) throw TimedOut(timeout);
                if (e is HttpRequestException && connection.IsReused && !connection.HasReceivedResponse && !_bodyStarted) continue;
                throw;
            }

            if (connection.EndWatch()) return connection;
            connection.Dispose();
            if (aborted.IsCancellationRequested) throw new OperationCanceledException(aborted);
            throw TimedOut(timeout);
        }
    }

    /// <summary>A connect that failed for want of time the route had: past the deadline, or timed out when the
    /// deadline was nearer than the connect timeout: the connect was given what was left, and its timer (counted in
    /// whole milliseconds) can fire a moment before the deadline's clock reaches it.</summary>
    private static bool RanOutOfTime(HttpRequestException failure, TimeSpan remaining, TimeSpan connectTimeout) =>
        remaining == TimeSpan.Zero || (failure.InnerException is TimeoutException && remaining < connectTimeout);

    protected static TimeoutRejectedException TimedOut(TimeSpan timeout) =>
        new($"The operation didn't complete within the allowed timeout of '{timeout}'.", timeout);

    /// <summary>The gateway's own answer, problem+json, when the request could not be forwarded and nothing of a
    /// response was sent yet.</summary>
    public abstract Task AnswerProblemAsync(int status, string slug, string title, string? detail, TimeSpan? retryAfter);

    /// <summary>Ends the destination's count of active requests once the response is done.</summary>
    public void Complete()
    {
        Destination?.RequestEnded();
        Destination = null;
    }

    /// <summary>The request line and head for <paramref name="destination"/>.</summary>
    protected abstract void WriteRequestHead(IBufferWriter<byte> writer, UpstreamConnectionPool destination);

    /// <summary>Sends the body within <paramref name="timeout"/>, cancelled when the client goes away.</summary>
    protected virtual Task SendBodyAsync(UpstreamConnection connection, TimeSpan timeout, CancellationToken aborted) => Task.CompletedTask;

    /// <summary>Starts over for another request of the same client (an attempt is reused along a connection).</summary>
    protected void Restart(ProxyRoute route)
    {
        Route = route;
        Destination = null;
        _bodyStarted = false;
    }

    private static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) ||
        HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);
}

/// <summary>A request Kestrel parsed, forwarded from its <see cref="HttpContext"/>.</summary>
internal sealed class ContextForwardAttempt(HttpContext context, ProxyRoute route) : ForwardAttempt(route)
{
    public HttpContext Context => context;

    public override string Method => context.Request.Method;

    public override CancellationToken Aborted => context.RequestAborted;

    protected override bool HasBody => context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? context.Request.ContentLength > 0;

    protected override void WriteRequestHead(IBufferWriter<byte> writer, UpstreamConnectionPool destination) =>
        ProxyHeaders.WriteRequestHead(context, writer, destination, HasBody);

    public override Task AnswerProblemAsync(int status, string slug, string title, string? detail, TimeSpan? retryAfter) =>
        GatewayProblems.WriteAsync(context, status, slug, title, detail, retryAfter);

    /// <summary>Sends a WebSocket upgrade through SocketsHttpHandler, whose answered upgrade becomes the tunnel's
    /// stream, within <paramref name="timeout"/>. An upgrade has no body; its connection is SocketsHttpHandler's, out
    /// of the sweep's sight, so the deadline is a cancellation source here.</summary>
    public async ValueTask<HttpResponseMessage> SendUpgradeAsync(HttpMessageInvoker invoker, TimeSpan timeout)
    {
        var incoming = context.Request;
        var overHttp2 = WebSocketConnect.Of(context) is not null;
        var request = new HttpRequestMessage(overHttp2 ? HttpMethod.Get : HttpMethod.Parse(incoming.Method), new Uri(string.Concat(Destination!.Address,
            incoming.Path.ToUriComponent(), incoming.QueryString.ToUriComponent())))
        {
            Version = HttpVersion.Version11,
            // a WebSocket upgrade exists only in HTTP/1.1
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        ProxyHeaders.CopyUpgradeRequestHeaders(context, request, overHttp2);
        var aborted = context.RequestAborted;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(timeout);
        try
        {
            return await invoker.SendAsync(request, deadline.Token);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            throw TimedOut(timeout);
        }
    }

    /// <summary>The client's body as it arrives, nothing buffered beyond what Kestrel holds: a body of known
    /// length as is, any other in chunks. A client that stops sending is timed out here too, with the route's
    /// timeout: the sweep only sees the destination's side.</summary>
    protected override async Task SendBodyAsync(UpstreamConnection connection, TimeSpan timeout, CancellationToken aborted)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(timeout);
        try
        {
            await SendBodyAsync(connection, deadline.Token);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            throw new TimeoutRejectedException($"The request body did not arrive within the allowed timeout of '{timeout}'.", timeout);
        }
    }

    private async Task SendBodyAsync(UpstreamConnection connection, CancellationToken cancellationToken)
    {
        var chunked = context.Request.ContentLength is null;
        var body = context.Request.BodyReader;
        while (true)
        {
            var read = await body.ReadAsync(cancellationToken);
            foreach (var segment in read.Buffer)
            {
                // an empty chunk would end the body
                if (segment.IsEmpty) continue;
                if (!chunked)
                {
                    await connection.SendAsync(segment, cancellationToken);
                    continue;
                }

                RequestHeadWriter.WriteChunkHeader(connection.Output, segment.Length);
                connection.Output.Write(segment.Span);
                RequestHeadWriter.WriteChunkEnd(connection.Output);
                await connection.SendOutputAsync(cancellationToken);
            }

            body.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted) break;
        }

        if (!chunked) return;
        RequestHeadWriter.WriteLastChunk(connection.Output);
        await connection.SendOutputAsync(cancellationToken);
    }
}
