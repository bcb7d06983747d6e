using System.Net;
using LiveMicro.Gateway.Clusters;
using Microsoft.AspNetCore.Http.Features;
using Polly;

namespace LiveMicro.Gateway.Forwarding;

/// <summary>No destination of the cluster is healthy.</summary>
internal sealed class NoHealthyDestinationException(string clusterId)
    : Exception($"No destination of cluster '{clusterId}' is healthy.");

/// <summary>One client request on its way to a destination; each retry picks a destination anew, avoiding the one
/// that just failed, and sends a fresh request message with the same (not yet read) body.</summary>
internal sealed class ForwardAttempt(HttpContext context, ProxyRoute route, HttpMessageInvoker invoker, bool isUpgrade)
{
    /// <summary>How a destination's resilience pipeline finds the attempt it runs (for the route's timeout).</summary>
    public static readonly ResiliencePropertyKey<ForwardAttempt> Key = new("livemicro.gateway.forward-attempt");

    private StreamingRequestContent? _content;

    public DestinationState? Destination { get; private set; }

    public HttpContext Context => context;

    public ProxyRoute Route => route;

    /// <summary>Only a request the destination cannot have seen is retried: idempotent, failed while connecting,
    /// and its body not started.</summary>
    public bool CanRetry(HttpRequestException exception) =>
        exception.HttpRequestError == HttpRequestError.ConnectionError &&
        IsIdempotent(context.Request.Method) &&
        _content is not { Started: true };

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

    public ValueTask<HttpResponseMessage> SendAsync(CancellationToken cancellationToken) =>
        new(invoker.SendAsync(CreateRequest(Destination!), cancellationToken));

    /// <summary>Ends the destination's count of active requests once the response is done.</summary>
    public void Complete() => Destination?.RequestEnded();

    private HttpRequestMessage CreateRequest(DestinationState destination)
    {
        var incoming = context.Request;
        var request = new HttpRequestMessage(HttpMethod.Parse(incoming.Method), new Uri(string.Concat(destination.Address,
            incoming.Path.ToUriComponent(), incoming.QueryString.ToUriComponent())))
        {
            Version = HttpVersion.Version11,
            // a WebSocket upgrade exists only in HTTP/1.1
            VersionPolicy = isUpgrade ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
        };
        if (!isUpgrade && HasBody(context)) request.Content = _content ??= new StreamingRequestContent(incoming.Body);
        ProxyHeaders.CopyRequestHeaders(context, request, isUpgrade);
        return request;
    }

    private static bool HasBody(HttpContext context) =>
        context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? context.Request.ContentLength > 0;

    private static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) ||
        HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);
}
