using LiveMicro.Gateway.Upstream;
using Polly;
using Polly.CircuitBreaker;

namespace LiveMicro.Gateway.Clusters;

/// <summary>One backend instance as the gateway sees it: its address, whether its last active health check passed,
/// its keep-alive connections, its resilience (a circuit breaker around each attempt's timeout) and how many requests
/// it is serving now (for power-of-two-choices).</summary>
public sealed class DestinationState(string name, string address, UpstreamConnectionPool connections,
    ResiliencePipeline resilience, CircuitBreakerStateProvider circuit)
{
    private volatile bool _isHealthy = true;
    private int _activeRequests;

    public string Name { get; } = name;

    /// <summary>Scheme, host, port and base path, without a trailing slash.</summary>
    public string Address { get; } = address;

    public UpstreamConnectionPool Connections { get; } = connections;

    /// <summary>One pipeline per destination, built once: the breaker counts what the timeout inside it rejects.</summary>
    public ResiliencePipeline Resilience { get; } = resilience;

    /// <summary>What the active health checks last said; true until one fails, as in YARP.</summary>
    public bool IsHealthy
    {
        get => _isHealthy;
        set => _isHealthy = value;
    }

    /// <summary>While open the breaker refuses at once; half-open lets one probe through, so it counts as usable.</summary>
    public bool IsCircuitOpen => circuit.CircuitState is CircuitState.Open or CircuitState.Isolated;

    /// <summary>The breaker lets every attempt through and only counts outcomes.</summary>
    public bool IsCircuitClosed => circuit.CircuitState == CircuitState.Closed;

    public int ActiveRequests => Volatile.Read(ref _activeRequests);

    public void RequestStarted() => Interlocked.Increment(ref _activeRequests);

    public void RequestEnded() => Interlocked.Decrement(ref _activeRequests);

    public override string ToString() => $"{Name} ({Address})";
}
