using System.Net.Sockets;
using System.Runtime.InteropServices;

/// <summary>
/// Players that read and discard, all driven by one thread through Linux epoll (level-triggered): one epoll_wait
/// returns every socket with data and each gets one recv into a buffer they all share, so a read costs one system call
/// and no task, callback or buffer of its own. An async receive per socket through the .NET socket engine costs
/// several times that (an engine thread wakes, a continuation is queued and run), and against a server that writes
/// every RTMP message separately (nginx-rtmp: many small reads) that saturated the generator's core, which then held
/// the server's own CPU figure down. Sockets added here must never have seen an async operation: the .NET engine would
/// keep them in its own epoll set and wake for every arrival as well.
/// </summary>
internal sealed unsafe partial class EpollPlayers : IDisposable
{
    private const int MaxEventsPerWait = 1024;
    private const int ReadBufferBytes = 256 * 1024;
    private const int WaitTimeoutMs = 100;
    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private const uint EpollIn = 0x001;
    private const uint EpollRdHup = 0x2000;
    private const int MsgDontWait = 0x40;
    private const int EAgain = 11;
    private const int EIntr = 4;
    private const int EpollCloexec = 0x80000;

    private readonly int _epoll;
    private readonly long[] _received;
    private readonly Socket?[] _sockets;
    private readonly int[] _descriptors;
    private readonly int _readInterval;
    private readonly Thread _thread;
    private volatile bool _stopping;

    /// <param name="received">Bytes received per player index; the reader thread adds to it.</param>
    /// <param name="readIntervalMs">
    /// 0 (run.sh's default): wait in epoll_wait and read each socket as soon as data arrives, as a real player does.
    /// Otherwise: read every ready socket, then sleep this long, so that reads take more at a time. Over loopback that
    /// moves TCP work (acknowledgements, wake-ups) between the server's core and the generator's, so it shows how much
    /// the server's figure depends on its players' timing (bench/README.md has runs with 10 and 20 ms).
    /// </param>
    public EpollPlayers(long[] received, int readIntervalMs)
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            // EpollEvent below has the packed layout the kernel uses on x86-64 only.
            throw new PlatformNotSupportedException("The epoll players are written for Linux on x86-64.");
        }

        _epoll = EpollCreate1(EpollCloexec);
        if (_epoll < 0)
        {
            throw new IOException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
        }

        _received = received;
        _readInterval = readIntervalMs;
        _sockets = new Socket?[received.Length];
        _descriptors = new int[received.Length];
        _thread = new Thread(ReadLoop) { IsBackground = true, Name = "epoll players" };
        _thread.Start();
    }

    /// <summary>Players whose socket the server closed (or that failed) since they were added.</summary>
    public int Closed { get; private set; }

    /// <summary>Hands a connected, handshaken player to the reader thread (callable from any thread).</summary>
    public void Add(int index, Socket socket)
    {
        var descriptor = (int)socket.SafeHandle.DangerousGetHandle();
        _sockets[index] = socket;
        Volatile.Write(ref _descriptors[index], descriptor);
        var registration = new EpollEvent { Events = EpollIn | EpollRdHup, Data = (ulong)index };
        if (EpollCtl(_epoll, EpollCtlAdd, descriptor, &registration) != 0)
        {
            throw new IOException($"epoll_ctl(ADD) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        Close(_epoll);
        foreach (var socket in _sockets)
        {
            socket?.Dispose();
        }
    }

    private void ReadLoop()
    {
        var events = new EpollEvent[MaxEventsPerWait];
        var buffer = GC.AllocateUninitializedArray<byte>(ReadBufferBytes, pinned: true);
        fixed (EpollEvent* ready = events)
        fixed (byte* into = buffer)
        {
            while (!_stopping)
            {
                int count;
                do
                {
                    count = EpollWait(_epoll, ready, MaxEventsPerWait, _readInterval > 0 ? 0 : WaitTimeoutMs);
                    for (var i = 0; i < count; i++)
                    {
                        Read((int)ready[i].Data, into);
                    }
                }
                while (count == MaxEventsPerWait);

                if (_readInterval > 0)
                {
                    Thread.Sleep(_readInterval);
                }
            }
        }
    }

    private void Read(int index, byte* into)
    {
        var descriptor = _descriptors[index];
        // One recv per readiness: a read that fills the buffer leaves the socket ready for the next wait.
        var read = Recv(descriptor, into, ReadBufferBytes, MsgDontWait);
        if (read > 0)
        {
            _received[index] += read;
        }
        else if (read == 0 || Marshal.GetLastPInvokeError() is not (EAgain or EIntr))
        {
            EpollCtl(_epoll, EpollCtlDel, descriptor, null);
            Closed++;
        }
    }

    // struct epoll_event is __attribute__((packed)) on x86-64: 4 bytes of events, then 8 of data, 12 in all.
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [LibraryImport("libc.so.6", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate1(int flags);

    [LibraryImport("libc.so.6", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epoll, int operation, int descriptor, EpollEvent* registration);

    [LibraryImport("libc.so.6", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int EpollWait(int epoll, EpollEvent* events, int maxEvents, int timeoutMs);

    [LibraryImport("libc.so.6", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Recv(int descriptor, byte* buffer, nint length, int flags);

    [LibraryImport("libc.so.6", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int descriptor);
}
