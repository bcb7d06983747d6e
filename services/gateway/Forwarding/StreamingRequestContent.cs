using System.Net;

namespace LiveMicro.Gateway.Forwarding;

/// <summary>The client's request body, copied to the destination as it arrives: nothing is buffered, so an upload
/// of any size passes with constant memory. It remembers whether it started, because a request whose body was
/// partly sent must not be retried.</summary>
internal sealed class StreamingRequestContent(Stream body) : HttpContent
{
    private volatile bool _started;

    public bool Started => _started;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _started = true;
        await body.CopyToAsync(stream, cancellationToken);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
