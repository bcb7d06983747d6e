using System.Collections.Concurrent;
using LiveMicro.Gateway.Configuration;
using LiveMicro.Gateway.Upstream;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace LiveMicro.Gateway.Clusters;

/// <summary>Makes the state of a destination once per address, so a destination listed again by discovery (or
/// both statically and in etcd) keeps its breaker and health instead of starting afresh. Its breaker is built here
/// once.</summary>
public sealed partial class DestinationFactory(IOptions<ResilienceOptions> options, IOptions<SocketLoopOptions> socketLoop, TimeProvider time,
    UpstreamDeadlineSweep sweep, ILogger<DestinationFactory> logger)
{
    private readonly ConcurrentDictionary<string, DestinationState> _byAddress = new(StringComparer.OrdinalIgnoreCase);

    public DestinationState GetOrCreate(string name, string address) =>
        _byAddress.GetOrAdd(address.TrimEnd('/'), static (key, arg) => arg.Factory.Create(arg.Name, key), (Factory: this, Name: name));

    private DestinationState Create(string name, string address)
    {
        var breaker = options.Value.CircuitBreaker;
        var connections = new UpstreamConnectionPool(new Uri(address), new UpstreamConnectionSettings(options.Value.ConnectTimeout,
            options.Value.PooledConnectionLifetime, options.Value.PooledConnectionIdleTimeout, socketLoop.Value.IsActive), sweep);
        var destination = new DestinationState(name, address, connections, time);
        // the route's timeout is kept by each attempt itself (UpstreamDeadlineSweep), inside the breaker, which
        // counts a timeout as a failure, so a destination that keeps timing out opens its circuit
        destination.Resilience = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = breaker.FailureRatio,
                MinimumThroughput = breaker.MinimumThroughput,
                SamplingDuration = breaker.SamplingDuration,
                BreakDuration = breaker.BreakDuration,
                ShouldHandle = static args => ValueTask.FromResult(IsFailure(args.Outcome, args.Context)),
                OnOpened = args =>
                {
                    destination.CircuitOpened(args.BreakDuration);
                    LogOpened(logger, address, args.BreakDuration);
                    return ValueTask.CompletedTask;
                },
                OnHalfOpened = _ =>
                {
                    destination.CircuitHalfOpened();
                    LogHalfOpened(logger, address);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    destination.CircuitClosed();
                    LogClosed(logger, address);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        return destination;
    }

    /// <summary>What counts against a destination: it could not be reached, did not answer in time, or answered
    /// with a server error. A 4xx is the client's fault and says nothing about the destination. A request whose
    /// client went away reaches the breaker only as a probe of a half-open circuit (a closed one does not record it):
    /// it proves nothing, so the circuit opens for another break instead of closing on it.</summary>
    private static bool IsFailure(Outcome<object> outcome, ResilienceContext context) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Exception: OperationCanceledException } => context.CancellationToken.IsCancellationRequested,
        { Result: UpstreamConnection connection } => connection.Head.StatusCode >= 500,
        { Result: HttpResponseMessage upgrade } => (int)upgrade.StatusCode >= 500,
        _ => false,
    };

    [LoggerMessage(LogLevel.Warning, "Circuit to {Destination} opened for {BreakDuration}")]
    private static partial void LogOpened(ILogger logger, string destination, TimeSpan breakDuration);

    [LoggerMessage(LogLevel.Information, "Circuit to {Destination} half-open: the next request probes it")]
    private static partial void LogHalfOpened(ILogger logger, string destination);

    [LoggerMessage(LogLevel.Information, "Circuit to {Destination} closed")]
    private static partial void LogClosed(ILogger logger, string destination);
}
