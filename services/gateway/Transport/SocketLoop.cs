using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace LiveMicro.Gateway.Transport;

/// <summary>One thread waiting on one edge-triggered epoll set and running the I/O of every socket registered in it,
/// continuations included, as nginx's worker does. A socket is read only when the kernel said it has data (and until a
/// read comes back short), where the .NET socket engine tries every receive before waiting and so makes a failing call
/// per read. There is one loop per core the process may use; a connection and the upstream connections it opens share
/// one, so a request is read, forwarded and answered on a single thread. Sends made while the loop runs the events of
/// one wait leave together at its end: the peers on other cores are woken once per batch instead of once per send,
/// which bench/gateway measured as 10 % more requests per second with less CPU on both sides.</summary>
internal sealed unsafe class SocketLoop
{
    private const int MaxEventsPerWait = 256;

    private static readonly Lazy<SocketLoop[]> s_loops = new(() =>
        Enumerable.Range(0, Environment.ProcessorCount).Select(i => new SocketLoop(i)).ToArray());
    private static int s_next;

    [ThreadStatic] private static SocketLoop? t_current;

    private readonly List<LoopSocket> _deferred = [];
    private bool _dispatching;
    private readonly int _epoll;
    private readonly ConcurrentDictionary<long, LoopSocket> _sockets = new();
    private long _nextId;

    private SocketLoop(int index)
    {
        _epoll = Libc.EpollCreate(Libc.SockCloexec);
        if (_epoll < 0) throw new IOException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}.");
        new Thread(Run) { IsBackground = true, Name = $"Socket loop {index}" }.Start();
    }

    /// <summary>The loop of the calling thread when it is one (a destination's connection opened for a request
    /// stays with it), else <see cref="Next"/>.</summary>
    public static SocketLoop Pick() => t_current ?? Next();

    /// <summary>The loops in turn: accepted connections are spread over all of them.</summary>
    public static SocketLoop Next()
    {
        var loops = s_loops.Value;
        return loops[(int)((uint)Interlocked.Increment(ref s_next) % (uint)loops.Length)];
    }

    /// <summary>True on this loop's thread while it runs the events of one wait: a send made now can wait for the
    /// end of the batch (<see cref="Defer"/>).</summary>
    public bool IsDispatching => _dispatching && t_current == this;

    public void Defer(LoopSocket socket) => _deferred.Add(socket);

    public long Register(LoopSocket socket, int descriptor)
    {
        var id = Interlocked.Increment(ref _nextId);
        _sockets[id] = socket;
        var registration = new Libc.EpollEvent
        {
            Events = Libc.EpollIn | Libc.EpollOut | Libc.EpollRdHup | Libc.EpollEt,
            Data = (ulong)id,
        };
        if (Libc.EpollCtl(_epoll, Libc.EpollCtlAdd, descriptor, &registration) == 0) return id;
        _sockets.TryRemove(id, out _);
        throw new IOException($"epoll_ctl failed: errno {Marshal.GetLastPInvokeError()}.");
    }

    /// <summary>Forgets a socket; an event for it already taken from the kernel finds nothing. A descriptor that stays
    /// open (not -1) is taken out of the epoll set; closing one does that by itself.</summary>
    public void Unregister(long id, int descriptor)
    {
        _sockets.TryRemove(id, out _);
        if (descriptor >= 0) Libc.EpollCtl(_epoll, Libc.EpollCtlDel, descriptor, null);
    }

    private void Run()
    {
        t_current = this;
        var events = GC.AllocateArray<Libc.EpollEvent>(MaxEventsPerWait, pinned: true);
        var first = (Libc.EpollEvent*)Marshal.UnsafeAddrOfPinnedArrayElement(events, 0);
        while (true)
        {
            var count = Libc.EpollWait(_epoll, first, MaxEventsPerWait, -1);
            _dispatching = true;
            for (var i = 0; i < count; i++)
            {
                if (_sockets.TryGetValue((long)events[i].Data, out var socket)) socket.OnEvents(events[i].Events);
            }

            _dispatching = false;
            foreach (var socket in _deferred) socket.SendDeferred();
            _deferred.Clear();
        }
    }
}
