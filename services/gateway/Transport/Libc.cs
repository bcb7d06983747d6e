using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LiveMicro.Gateway.Transport;

/// <summary>The Linux calls the event loop makes itself: the .NET socket engine would register every socket it
/// touches asynchronously in an epoll set of its own and try each receive before waiting for it.</summary>
internal static unsafe partial class Libc
{
    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;
    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollEt = 0x80000000;
    public const int MsgNoSignal = 0x4000;
    public const int SockNonBlock = 0x800;
    public const int SockCloexec = 0x80000;
    public const int EAgain = 11;
    public const int EIntr = 4;
    public const int EInProgress = 115;
    public const int ShutWrite = 1;
    public const int ShutBoth = 2;

    /// <summary>The kernel's struct epoll_event, packed on x86-64 (the only layout this is written for).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 12)]
    public struct EpollEvent
    {
        [FieldOffset(0)] public uint Events;
        [FieldOffset(4)] public ulong Data;
    }

    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epoll, int operation, int descriptor, EpollEvent* registration);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epoll, EpollEvent* events, int maxEvents, int timeout);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int descriptor, byte* address, int addressLength);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept(int descriptor, byte* address, int* addressLength, int flags);

    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(int descriptor, byte* address, int* addressLength);

    [LibraryImport("libc", EntryPoint = "getpeername", SetLastError = true)]
    public static partial int GetPeerName(int descriptor, byte* address, int* addressLength);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int descriptor, int level, int option, void* value, int* length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int descriptor, int level, int option, void* value, int length);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static partial nint Receive(int descriptor, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int descriptor, byte* buffer, nint length, int flags);

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        public byte* Base;
        public nint Length;
    }

    [LibraryImport("libc", EntryPoint = "writev", SetLastError = true)]
    public static partial nint WriteVector(int descriptor, IoVector* vectors, int count);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int descriptor, int how);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int descriptor);

    public static void SetNoDelay(int descriptor)
    {
        var one = 1;
        SetSockOpt(descriptor, 6 /* IPPROTO_TCP */, 1 /* TCP_NODELAY */, &one, sizeof(int));
    }

    /// <summary>The pending error of a socket whose connect finished (SO_ERROR), 0 when it connected.</summary>
    public static int PendingError(int descriptor)
    {
        int error = 0, length = sizeof(int);
        return GetSockOpt(descriptor, 1 /* SOL_SOCKET */, 4 /* SO_ERROR */, &error, &length) == 0 ? error : Marshal.GetLastPInvokeError();
    }

    public static bool IsConnected(int descriptor)
    {
        var address = stackalloc byte[128];
        var length = 128;
        return GetPeerName(descriptor, address, &length) == 0;
    }

    /// <summary>A sockaddr_in or sockaddr_in6 as an endpoint; null for any other family.</summary>
    public static IPEndPoint? ToEndPoint(ReadOnlySpan<byte> address)
    {
        if (address.Length < 8) return null;
        var port = (address[2] << 8) | address[3];
        return BitConverter.ToUInt16(address) switch
        {
            2 => new IPEndPoint(new IPAddress(address.Slice(4, 4)), port),
            10 when address.Length >= 28 => new IPEndPoint(new IPAddress(address.Slice(8, 16), BitConverter.ToUInt32(address[24..])), port),
            _ => null,
        };
    }

    /// <summary>The socket error an errno stands for, as the .NET socket engine reports it.</summary>
    public static SocketError ToSocketError(int errno) => errno switch
    {
        104 => SocketError.ConnectionReset,
        32 => SocketError.Shutdown,
        111 => SocketError.ConnectionRefused,
        110 => SocketError.TimedOut,
        113 => SocketError.HostUnreachable,
        101 => SocketError.NetworkUnreachable,
        103 => SocketError.ConnectionAborted,
        107 => SocketError.NotConnected,
        24 or 23 => SocketError.TooManyOpenSockets, // EMFILE, ENFILE
        105 or 12 => SocketError.NoBufferSpaceAvailable, // ENOBUFS, ENOMEM
        99 => SocketError.AddressNotAvailable, // no ephemeral port left to connect from
        _ => SocketError.SocketError,
    };
}
