namespace LiveMicro.Rtmp.Tests.Support;

[CollectionDefinition(Name)]
public sealed class TightLimitsCollection : ICollectionFixture<TightLimitsFixture>
{
    public const string Name = "rtmp-tight-limits";
}

/// <summary>
/// A second server with limits small enough to reach in a test: a 16-message player queue (the least allowed) and
/// half-second HLS segments. The write timeout is long so a stalled player is dropped by its queue, not disconnected.
/// </summary>
public sealed class TightLimitsFixture : RtmpServerFixture
{
    public const int PlayerQueueCapacity = 16;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Rtmp:PlayerQueueCapacity", PlayerQueueCapacity.ToString()),
        new("Rtmp:PlayerWriteTimeout", "00:01:00"),
        new("Hls:SegmentDuration", "00:00:00.500"),
        new("Hls:WindowSize", "6"),
        new("Hls:RetainedAfterRemoval", "2"),
    ];
}
