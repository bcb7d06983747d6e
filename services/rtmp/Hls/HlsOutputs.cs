using System.Collections.Concurrent;
using LiveMicro.Rtmp.Streams;
using Microsoft.Extensions.Options;

namespace LiveMicro.Rtmp.Hls;

/// <summary>
/// The HLS output of each stream name: attached when a publish starts, kept after the end (playlist with
/// EXT-X-ENDLIST) for <see cref="HlsOptions.EndedStreamRetention"/>, replaced by the next publish of the name.
/// </summary>
public sealed class HlsOutputs(IOptions<HlsOptions> options, TimeProvider time, ILogger<HlsOutput> logger)
{
    private readonly ConcurrentDictionary<string, HlsOutput> _outputs = new(StringComparer.Ordinal);

    public void Attach(LiveStream stream)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        var output = new HlsOutput(stream.Name, stream.Identity.PublisherId[..8], options.Value, time, logger);
        _outputs[stream.Name] = output;
        if (stream.TryAddSubscriber(output))
        {
            _ = RunAsync(stream, output);
        }
    }

    public HlsSnapshot? Find(string streamName)
    {
        if (!_outputs.TryGetValue(streamName, out var output))
        {
            return null;
        }

        if (output.EndedAt is { } ended && time.GetUtcNow() - ended > options.Value.EndedStreamRetention)
        {
            _outputs.TryRemove(new KeyValuePair<string, HlsOutput>(streamName, output));
            return null;
        }

        return output.Snapshot;
    }

    private static async Task RunAsync(LiveStream stream, HlsOutput output)
    {
        try
        {
            await output.RunAsync(CancellationToken.None);
        }
        finally
        {
            stream.RemoveSubscriber(output);
        }
    }
}
