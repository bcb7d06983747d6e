using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using LiveMicro.Gateway.Clusters;
using LiveMicro.Gateway.Upstream;
using Microsoft.AspNetCore.Http.Features;
using Polly;

namespace LiveMicro.Gateway.Forwarding;

/// <summary>No destination of the cluster is healthy.</summary>
internal sealed class NoHealthyDestinationException(string clusterId)
    : Exception($"No destination of cluster '{clusterId}' is healthy.");

/// <summary>One client request on its way to a destination; each retry picks a destination anew, avoiding the one
/// that just failed, and sends the request again with the same (not yet read) body.</summary>
internal sealed class ForwardAttempt(HttpContext context, ProxyRoute route)
{
    /// <summary>How a destination's resilience pipeline finds the attempt it runs (for the route's timeout).</summary>
    public static readonly ResiliencePropertyKey<ForwardAttempt> Key = new("livemicro.gateway.forward-attempt");

    private bool _bodyStarted;

    public DestinationState? Destination { get; private set; }

    public HttpContext Context => context;

    public ProxyRoute Route => route;

    /// <summary>Only a request the destination cannot have seen is retried: idempotent, failed while connecting,
    /// and its body not started.</summary>
    public bool CanRetry(HttpRequestException exception) =>
        exception.HttpRequestError == HttpRequestError.ConnectionError &&
        IsIdempotent(context.Request.Method) &&
        !_bodyStarted;

    /// <summary>Moves to the next destination (another than the last where there is one); its breaker may still
    /// refuse.</summary>
    public DestinationState NextDestination()
    {
        var previous = Destination;
        var destination = route.Cluster.PickDestination(avoid: previous) ?? throw new NoHealthyDestinationException(route.Cluster.Id);
        previous?.RequestEnded();
        destination.RequestStarted();
        Destination = destination;
        return destination;
    }

    /// <summary>Sends the request over a pooled connection to the destination and reads the response head. A
    /// pooled connection the destination closed while it idled is replaced by a new one, as long as nothing of the
    /// response came back and no body was sent: the destination never saw the request.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<UpstreamConnection> SendAsync(CancellationToken cancellationToken)
    {
        var pool = Destination!.Connections;
        var request = context.Request;
        var hasBody = HasBody(context);
        while (true)
        {
            var connection = await pool.RentAsync(cancellationToken);
            try
            {
                ProxyHeaders.WriteRequestHead(context, connection.Output, pool, hasBody);
                await connection.SendOutputAsync(cancellationToken);
                if (hasBody)
                {
                    _bodyStarted = true;
                    await SendBodyAsync(connection, chunked: request.ContentLength is null, cancellationToken);
                }

                await connection.ReadHeadAsync(HttpMethods.IsHead(request.Method), cancellationToken);
                return connection;
            }
            catch (HttpRequestException) when (connection.IsReused && !connection.HasReceivedResponse && !_bodyStarted)
            {
                connection.Dispose();
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }
    }

    /// <summary>Sends a WebSocket upgrade through SocketsHttpHandler, whose answered upgrade becomes the tunnel's
    /// stream. An upgrade has no body.</summary>
    public ValueTask<HttpResponseMessage> SendUpgradeAsync(HttpMessageInvoker invoker, CancellationToken cancellationToken)
    {
        var incoming = context.Request;
        var request = new HttpRequestMessage(HttpMethod.Parse(incoming.Method), new Uri(string.Concat(Destination!.Address,
            incoming.Path.ToUriComponent(), incoming.QueryString.ToUriComponent())))
        {
            Version = HttpVersion.Version11,
            // a WebSocket upgrade exists only in HTTP/1.1
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        ProxyHeaders.CopyUpgradeRequestHeaders(context, request);
        return new(invoker.SendAsync(request, cancellationToken));
    }

    /// <summary>Ends the destination's count of active requests once the response is done.</summary>
    public void Complete() => Destination?.RequestEnded();

    /// <summary>The client's body as it arrives, nothing buffered beyond what Kestrel holds: a body of known
    /// length as is, any other in chunks.</summary>
    private async Task SendBodyAsync(UpstreamConnection connection, bool chunked, CancellationToken cancellationToken)
    {
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

    /// <summary>Whether the request has a body to forward (Kestrel knows from Content-Length and
    /// Transfer-Encoding).</summary>
    public static bool HasBody(HttpContext context) =>
        context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? context.Request.ContentLength > 0;

    private static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) ||
        HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);
}
