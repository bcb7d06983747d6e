using LiveMicro.Gateway.Upstream;
using Polly;
using Polly.CircuitBreaker;

namespace LiveMicro.Gateway.Clusters;

/// <summary>One backend instance as the gateway sees it: its address, whether its last active health check passed,
/// its keep-alive connections, its circuit breaker and how many requests it is serving now (for
/// power-of-two-choices).</summary>
public sealed class DestinationState(string name, string address, UpstreamConnectionPool connections, TimeProvider time)
{
    private volatile bool _isHealthy = true;
    // the breaker's state as its callbacks last reported it (Polly runs them in order): Polly's own state provider
    // takes the breaker's lock on every read, and this is read on every request
    private volatile CircuitState _circuit = CircuitState.Closed;
    private long _breakEndsAt;
    private int _activeRequests;

    public string Name { get; } = name;

    /// <summary>Scheme, host, port and base path, without a trailing slash.</summary>
    public string Address { get; } = address;

    public UpstreamConnectionPool Connections { get; } = connections;

    /// <summary>The destination's circuit breaker, built once; set by <see cref="DestinationFactory"/>.</summary>
    public ResiliencePipeline Resilience { get; internal set; } = ResiliencePipeline.Empty;

    /// <summary>What the active health checks last said; true until one fails, as in YARP.</summary>
    public bool IsHealthy
    {
        get => _isHealthy;
        set => _isHealthy = value;
    }

    /// <summary>The breaker refuses requests now: open with its break not over, or half-open with its probe out. An
    /// open circuit whose break is over takes the next request as its probe, so the destination is picked again
    /// (otherwise a destination with healthy siblings would never be probed and stay open).</summary>
    public bool IsCircuitOpen => _circuit switch
    {
        CircuitState.Closed => false,
        CircuitState.Open => time.GetTimestamp() < Volatile.Read(ref _breakEndsAt),
        _ => true,
    };

    /// <summary>The breaker lets every attempt through and only counts outcomes.</summary>
    public bool IsCircuitClosed => _circuit == CircuitState.Closed;

    internal void CircuitOpened(TimeSpan breakDuration)
    {
        Volatile.Write(ref _breakEndsAt, time.GetTimestamp() + (long)Math.Min(breakDuration.TotalSeconds * time.TimestampFrequency, long.MaxValue / 2));
        _circuit = CircuitState.Open;
    }

    internal void CircuitHalfOpened() => _circuit = CircuitState.HalfOpen;

    internal void CircuitClosed() => _circuit = CircuitState.Closed;

    public int ActiveRequests => Volatile.Read(ref _activeRequests);

    public void RequestStarted() => Interlocked.Increment(ref _activeRequests);

    public void RequestEnded() => Interlocked.Decrement(ref _activeRequests);

    public override string ToString() => $"{Name} ({Address})";
}
