using System.ComponentModel.DataAnnotations;
using LiveMicro.Gateway.Connections;

namespace LiveMicro.Gateway.Configuration;

/// <summary>Section <c>ClientConnections</c>: how many client connections the gateway holds at once
/// (<see cref="ConnectionBudget"/>).</summary>
public sealed class ClientConnectionOptions
{
    public const string SectionName = "ClientConnections";

    /// <summary>Client connections held at once, WebSockets included; the next is closed as soon as it is accepted.
    /// Unset: half of what the open-file limit leaves after the descriptors ServiceDefaults reserves, at least
    /// <see cref="ConnectionBudget.Minimum"/>.</summary>
    [Range(1, int.MaxValue)]
    public int? MaxOpen { get; set; }
}
