using LiveMicro.Gateway.Transport;

namespace LiveMicro.Gateway.Configuration;

/// <summary>Section <c>SocketLoop</c>: whether client and upstream connections run on the gateway's own epoll loops
/// (<see cref="SocketLoop"/>; Linux on x86-64 only) instead of .NET's socket engine and Kestrel's socket
/// transport.</summary>
public sealed class SocketLoopOptions
{
    public const string SectionName = "SocketLoop";

    public bool Enabled { get; set; } = true;

    public bool IsActive => Enabled && Libc.IsSupported;
}
