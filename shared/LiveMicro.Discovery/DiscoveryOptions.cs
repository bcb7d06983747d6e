using System.ComponentModel.DataAnnotations;

namespace LiveMicro.Discovery;

/// <summary>Where the service registry lives and how this instance appears in it (section <c>Discovery</c>).
/// Without <c>Discovery:Etcd:Endpoint</c> nothing registers and the gateway keeps its static destinations.</summary>
public sealed class DiscoveryOptions
{
    public const string SectionName = "Discovery";

    public EtcdOptions Etcd { get; set; } = new();

    /// <summary>How long an instance stays listed after its last keepalive: a killed instance disappears from
    /// every gateway within this time.</summary>
    [Range(typeof(TimeSpan), "00:00:02", "00:05:00")]
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>This instance's name under its service; machine name and process id when unset.</summary>
    public string? InstanceId { get; set; }

    /// <summary>The base URL other processes reach this instance at. When unset, the first address Kestrel
    /// listens on, with a wildcard host replaced by the machine's host name.</summary>
    public string? AdvertisedUrl { get; set; }

    /// <summary>How long to wait before trying etcd again after it failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    public bool IsEnabled => !string.IsNullOrWhiteSpace(Etcd.Endpoint);
}

public sealed class EtcdOptions
{
    /// <summary>etcd's client URL, e.g. <c>http://127.0.0.1:2379</c>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Deadline of one unary etcd call (a watch runs as long as it lasts).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
