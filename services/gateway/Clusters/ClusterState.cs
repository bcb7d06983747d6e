using LiveMicro.Gateway.Configuration;

namespace LiveMicro.Gateway.Clusters;

/// <summary>A service's destinations and how a request picks one. The destination list is swapped whole
/// (discovery, fallback to static), so a request reads one consistent list without a lock.</summary>
public sealed class ClusterState
{
    private readonly DestinationState[] _static;
    private readonly bool _roundRobin;
    private DestinationState[] _destinations;
    private uint _sequence;

    public ClusterState(string id, ClusterConfig config, DestinationFactory destinations)
    {
        Id = id;
        Config = config;
        _roundRobin = config.LoadBalancingPolicy == LoadBalancingPolicies.RoundRobin;
        _static = config.Destinations.OrderBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => destinations.GetOrCreate(d.Key, d.Value.Address)).ToArray();
        _destinations = _static;
    }

    public string Id { get; }

    public ClusterConfig Config { get; }

    public IReadOnlyList<DestinationState> Destinations => Volatile.Read(ref _destinations);

    /// <summary>Uses the discovered instances, or the static destinations again when there are none.</summary>
    public void UseDiscovered(IReadOnlyList<DestinationState> discovered) =>
        Volatile.Write(ref _destinations, discovered.Count > 0 ? [.. discovered] : _static);

    /// <summary>A healthy destination whose circuit is not open, preferring one other than
    /// <paramref name="avoid"/> (the one that just failed). If every healthy one has an open circuit, one of those:
    /// its breaker then refuses at once with 503. Null when none is healthy.</summary>
    public DestinationState? PickDestination(DestinationState? avoid)
    {
        var destinations = Volatile.Read(ref _destinations);
        if (destinations.Length == 0) return null;
        var sequence = Interlocked.Increment(ref _sequence);
        if (!_roundRobin && destinations.Length > 1 && PowerOfTwoChoices(destinations, sequence, avoid) is { } chosen) return chosen;
        return FirstUsable(destinations, sequence, avoid, requireClosedCircuit: true)
               ?? FirstUsable(destinations, sequence, avoid: null, requireClosedCircuit: true)
               ?? FirstUsable(destinations, sequence, avoid: null, requireClosedCircuit: false);
    }

    /// <summary>Whether a healthy destination other than <paramref name="destination"/> has its circuit not open.</summary>
    public bool HasUsableOtherThan(DestinationState destination)
    {
        foreach (var candidate in Volatile.Read(ref _destinations))
        {
            if (IsUsable(candidate, avoid: destination, requireClosedCircuit: true)) return true;
        }

        return false;
    }

    /// <summary>Two candidates drawn from a seeded, deterministic sequence (splitmix64 of a counter); the one
    /// serving fewer requests wins.</summary>
    private static DestinationState? PowerOfTwoChoices(DestinationState[] destinations, uint sequence, DestinationState? avoid)
    {
        var random = SplitMix64(sequence);
        var first = (int)(random % (uint)destinations.Length);
        var second = (int)((random >> 32) % (uint)(destinations.Length - 1));
        if (second >= first) second++;
        var a = destinations[first];
        var b = destinations[second];
        var aUsable = IsUsable(a, avoid, requireClosedCircuit: true);
        var bUsable = IsUsable(b, avoid, requireClosedCircuit: true);
        if (aUsable && bUsable) return a.ActiveRequests <= b.ActiveRequests ? a : b;
        return aUsable ? a : bUsable ? b : null;
    }

    private static DestinationState? FirstUsable(DestinationState[] destinations, uint start, DestinationState? avoid, bool requireClosedCircuit)
    {
        for (var i = 0; i < destinations.Length; i++)
        {
            var candidate = destinations[(int)((start + (uint)i) % (uint)destinations.Length)];
            if (IsUsable(candidate, avoid, requireClosedCircuit)) return candidate;
        }

        return null;
    }

    private static bool IsUsable(DestinationState destination, DestinationState? avoid, bool requireClosedCircuit) =>
        destination.IsHealthy && destination != avoid && !(requireClosedCircuit && destination.IsCircuitOpen);

    private static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }
}
