using System.Collections.Concurrent;
using LiveMicro.Rtmp.Hls;
using LiveMicro.Rtmp.Publishing;
using Microsoft.Extensions.Options;

namespace LiveMicro.Rtmp.Streams;

/// <summary>What the registry needs of a publishing connection, whatever its protocol.</summary>
public interface IStreamPublisher
{
    /// <summary>Time since the publisher last sent anything.</summary>
    TimeSpan QuietFor { get; }

    /// <summary>Disconnects the publisher because another one took over its stream.</summary>
    void Evict(string reason);
}

/// <summary>
/// The live streams by public name. Starting and ending a publish are rare and check-then-act, so they take one
/// lock; lookups on the play path read concurrent dictionaries without it.
/// </summary>
public sealed partial class StreamRegistry(IOptions<RtmpOptions> options, TimeProvider time, StreamEventReporter events,
    HlsOutputs hls, ILoggerFactory loggerFactory)
{
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, (LiveStream Stream, IStreamPublisher Publisher)> _byName = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _nameByKey = new(StringComparer.Ordinal);
    private readonly ILogger _logger = loggerFactory.CreateLogger<StreamRegistry>();

    public IEnumerable<LiveStream> Streams => _byName.Values.Select(entry => entry.Stream);

    public bool TryGet(string name, out LiveStream stream)
    {
        if (_byName.TryGetValue(name, out var entry))
        {
            stream = entry.Stream;
            return true;
        }

        stream = null!;
        return false;
    }

    /// <summary>True when <paramref name="name"/> is the secret key of a live stream: never playable.</summary>
    public bool IsStreamKey(string name) => _nameByKey.ContainsKey(name);

    /// <summary>
    /// Registers a publish. A stream that is already published is taken over only when its publisher has been quiet
    /// for <see cref="RtmpOptions.PublisherTakeoverAfter"/>; otherwise the newcomer is refused (null).
    /// </summary>
    public LiveStream? TryStartPublish(StreamIdentity identity, IStreamPublisher publisher)
    {
        LiveStream stream;
        lock (_gate)
        {
            if (_byName.TryGetValue(identity.Name, out var existing))
            {
                var quietFor = existing.Publisher.QuietFor;
                if (quietFor < options.Value.PublisherTakeoverAfter)
                {
                    Log.PublishRefused(_logger, identity.Name, identity.PublisherId, existing.Stream.Identity.PublisherId);
                    return null;
                }

                Log.PublisherReplaced(_logger, identity.Name, existing.Stream.Identity.PublisherId, identity.PublisherId, quietFor.TotalSeconds);
                Remove(existing.Stream);
                existing.Publisher.Evict("replaced by a new publisher");
                existing.Stream.End("replaced");
            }

            stream = new LiveStream(identity, options.Value, time, events, loggerFactory.CreateLogger<LiveStream>());
            _byName[identity.Name] = (stream, publisher);
            _nameByKey[identity.StreamKey] = identity.Name;
        }

        hls.Attach(stream);
        return stream;
    }

    /// <summary>The room's key was rotated or the room ended: the publisher is cut off and its players are told
    /// the stream ended. False when nothing publishes <paramref name="name"/> here.</summary>
    public bool Revoke(string name, string reason)
    {
        (LiveStream Stream, IStreamPublisher Publisher) entry;
        lock (_gate)
        {
            if (!_byName.TryGetValue(name, out entry)) return false;
            Remove(entry.Stream);
        }

        Log.PublisherRevoked(_logger, name, entry.Stream.Identity.PublisherId, reason);
        entry.Publisher.Evict(reason);
        entry.Stream.End(reason);
        return true;
    }

    /// <summary>The publisher is gone: the name is free at once, and the stream ends its subscribers.</summary>
    public void EndPublish(LiveStream stream, string reason)
    {
        lock (_gate)
        {
            Remove(stream);
        }

        stream.End(reason);
    }

    private void Remove(LiveStream stream)
    {
        if (_byName.TryGetValue(stream.Name, out var current) && ReferenceEquals(current.Stream, stream))
        {
            _byName.TryRemove(stream.Name, out _);
            _nameByKey.TryRemove(stream.Identity.StreamKey, out _);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(4001, LogLevel.Warning, "Refused publisher {PublisherId} of {StreamName}: publisher {CurrentPublisherId} is still sending")]
        public static partial void PublishRefused(ILogger logger, string streamName, string publisherId, string currentPublisherId);

        [LoggerMessage(4003, LogLevel.Information, "Publisher {PublisherId} of {StreamName} cut off: {Reason}")]
        public static partial void PublisherRevoked(ILogger logger, string streamName, string publisherId, string reason);

        [LoggerMessage(4002, LogLevel.Information, "Publisher {OldPublisherId} of {StreamName} was quiet for {QuietSeconds:0.0} s; {NewPublisherId} takes over")]
        public static partial void PublisherReplaced(ILogger logger, string streamName, string oldPublisherId, string newPublisherId, double quietSeconds);
    }
}
