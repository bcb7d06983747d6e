using LiveMicro.Rtmp.Publishing;
using LiveMicro.Rtmp.Streams;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace LiveMicro.Rtmp.Rtmp;

/// <summary>Kestrel hands every connection on the RTMP port here, with its pipes and memory pool.</summary>
internal sealed class RtmpConnectionHandler(StreamRegistry registry, LiveServiceClient liveService, IOptions<RtmpOptions> options,
    TimeProvider time, ILogger<RtmpConnectionHandler> logger) : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext connection) =>
        new RtmpSession(connection, registry, liveService, options.Value, time, logger).RunAsync();
}
