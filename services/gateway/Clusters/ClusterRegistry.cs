using LiveMicro.Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace LiveMicro.Gateway.Clusters;

/// <summary>Every cluster of the configuration, by id (which is also the service name in etcd).</summary>
public sealed class ClusterRegistry(IOptions<ReverseProxyOptions> options, DestinationFactory destinations)
{
    private readonly Dictionary<string, ClusterState> _clusters = options.Value.Clusters
        .ToDictionary(c => c.Key, c => new ClusterState(c.Key, c.Value, destinations), StringComparer.OrdinalIgnoreCase);

    public IEnumerable<ClusterState> All => _clusters.Values;

    public ClusterState Get(string id) => _clusters[id];

    public ClusterState? Find(string id) => _clusters.GetValueOrDefault(id);
}
