using LiveMicro.Gateway.Configuration;
using LiveMicro.ServiceDefaults.Hosting;
using Microsoft.Extensions.Options;

namespace LiveMicro.Gateway.Connections;

/// <summary>How many client connections the gateway holds at once, WebSockets included. Past its descriptor limit a
/// .NET process does not degrade: the next thread the runtime starts fails for want of a descriptor and the process
/// aborts ("Out of memory."), which a flood of connections reached in seconds. Kestrel's own cap
/// (<see cref="ConnectionLimits"/>) does not keep the gateway from it: it stops counting a connection that upgrades to
/// a WebSocket, it closes the connections over it only after dispatching them (a burst outruns it), and every
/// connection here may hold a second descriptor, to its destination. This budget is kept where connections are
/// accepted (<see cref="BudgetedConnectionListenerFactory"/>).</summary>
internal sealed partial class ConnectionBudget
{
    /// <summary>The smallest budget however low the descriptor limit: the gateway must still take connections.</summary>
    public const int Minimum = 64;

    private readonly ILogger<ConnectionBudget> _logger;
    private int _open;
    private bool _refusing;

    public ConnectionBudget(IOptions<ClientConnectionOptions> options, ILogger<ConnectionBudget> logger)
    {
        _logger = logger;
        var openFiles = ConnectionLimits.ReadOpenFileLimit();
        Limit = options.Value.MaxOpen ?? ForOpenFileLimit(openFiles);
        LogLimit(Limit, openFiles);
    }

    public int Limit { get; }

    /// <summary>Half of what the open-file limit leaves after <see cref="ConnectionLimits.ReservedDescriptors"/>: one
    /// descriptor for the client, one for its destination. No limit where the open-file limit is unknown.</summary>
    public static int ForOpenFileLimit(long? openFiles) =>
        openFiles is { } limit ? (int)Math.Clamp((limit - ConnectionLimits.ReservedDescriptors) / 2, Minimum, int.MaxValue) : int.MaxValue;

    /// <summary>Takes a place for an accepted connection; false when all are taken. Called from one accept loop at a
    /// time per endpoint.</summary>
    public bool TryTake()
    {
        if (Interlocked.Increment(ref _open) <= Limit)
        {
            _refusing = false;
            return true;
        }

        Interlocked.Decrement(ref _open);
        // once per spell of refusals: a flood would otherwise log a line per connection
        if (!_refusing)
        {
            _refusing = true;
            LogRefusing(Limit);
        }

        return false;
    }

    public void Return() => Interlocked.Decrement(ref _open);

    [LoggerMessage(LogLevel.Information, "Holding at most {MaxOpen} client connections at once (open-file limit {OpenFileLimit}; ClientConnections:MaxOpen)")]
    private partial void LogLimit(int maxOpen, long? openFileLimit);

    [LoggerMessage(LogLevel.Warning, "{MaxOpen} client connections are open: new ones are closed at once until some end (ClientConnections:MaxOpen)")]
    private partial void LogRefusing(int maxOpen);
}
