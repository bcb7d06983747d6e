using System.Buffers;
using System.Globalization;
using System.Text.Json;
using LiveMicro.Gateway.Forwarding;
using LiveMicro.Gateway.Upstream;
using LiveMicro.ServiceDefaults.ProblemDetails;

namespace LiveMicro.Gateway.Connections;

/// <summary>A GET the direct path read off a connection, on its way to a destination. One per connection, started
/// again for each request.</summary>
internal sealed class DirectForwardAttempt(DirectConnection connection) : ForwardAttempt(null!)
{
    public override string Method => HttpMethods.Get;

    public override CancellationToken Aborted => connection.Closed;

    protected override bool HasBody => false;

    public void Start(ProxyRoute route) => Restart(route);

    protected override void WriteRequestHead(IBufferWriter<byte> writer, UpstreamConnectionPool destination) =>
        ProxyHeaders.WriteRequestHead(connection.Head, connection.HeadBytes, writer, destination, connection.ForwardedFor,
            connection.RequestId);

    /// <summary>The same problem+json Kestrel's path writes (type, title, status, detail, the path as instance and
    /// the request id as traceId), written straight to the connection.</summary>
    public override Task AnswerProblemAsync(int status, string slug, string title, string? detail, TimeSpan? retryAfter)
    {
        var body = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("type", Problems.TypeUri(slug));
            json.WriteString("title", title);
            json.WriteNumber("status", status);
            if (detail is not null) json.WriteString("detail", detail);
            json.WriteString("instance", connection.Path);
            json.WriteString("traceId", connection.RequestId);
            json.WriteEndObject();
        }

        var output = connection.Output;
        output.Write(StatusLines.Of(status));
        RequestHeadWriter.WriteField(output, "Content-Type"u8, "application/problem+json"u8);
        RequestHeadWriter.WriteField(output, "Content-Length"u8, body.WrittenCount);
        if (retryAfter is { } wait)
        {
            RequestHeadWriter.WriteField(output, "Retry-After", Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
        }

        output.Write(DirectConnectionHeartbeat.DateField);
        RequestHeadWriter.WriteField(output, "X-Request-Id"u8, connection.RequestId);
        RequestHeadWriter.WriteEnd(output);
        output.Write(body.WrittenSpan);
        // no token: a client already gone completes the flush instead of throwing into the forwarder
        return output.FlushAsync().AsTask();
    }
}
