using System.Net.Sockets;
using PeerConnect.Turn.Server;

namespace PeerConnect.Server.Signaling;

/// <summary>
/// Tells the WebSocket listener's connections when their socket has something to read, from one thread waiting on an
/// epoll set (Linux x64/arm64). A socket that is read without waiting (non-blocking) and waited on here never gets the
/// runtime's asynchronous receive: its cached event arguments, pending operation and completion callback (about 490
/// bytes per idle connection; a waiter costs 96). Each wait arms the socket one-shot; the waiter's continuation runs
/// on this thread, as socket continuations run on the runtime's polling threads. Where epoll is not available a waiter
/// falls back to a zero-byte receive.
/// </summary>
internal sealed unsafe class ListenerReadiness : IDisposable
{
    private const int MaxEvents = 64;

    /// <summary>How often the thread looks at the stop flag; stopping never waits for it.</summary>
    private const int WaitTimeoutMilliseconds = 500;

    /// <summary><c>EPOLLIN | EPOLLRDHUP | EPOLLONESHOT</c>: readable or hung up, reported once per arming.</summary>
    private const uint ArmEvents = LinuxSockets.EpollIn | LinuxSockets.EpollRdHup | LinuxSockets.EpollOneShot;

    private readonly int _epoll;
    private readonly ILogger _logger;
    private readonly Lock _slotsGate = new();
    private readonly Stack<int> _freeSlots = new();
    private ListenerSocket?[] _slots = new ListenerSocket?[256];
    /// <summary>Process-wide, so a report can never be taken for another instance's waiter in a reused slot.</summary>
    private static uint s_nextGeneration;

    private int _usedSlots;
    private volatile bool _stopping;

    private ListenerReadiness(int epoll, ILogger logger)
    {
        _epoll = epoll;
        _logger = logger;
        new Thread(Run) { IsBackground = true, Name = "PeerConnect listener readiness" }.Start();
    }

    /// <summary>A readiness thread, or null where epoll is not available (the waiters then use zero-byte receives).</summary>
    public static ListenerReadiness? TryStart(ILogger logger)
    {
        if (!LinuxSockets.IsSupported)
        {
            return null;
        }

        var epoll = LinuxSockets.EpollCreate1(LinuxSockets.EpollCloexec);
        return epoll < 0 ? null : new ListenerReadiness(epoll, logger);
    }

    /// <summary>The <see cref="ListenerSocket"/> for one accepted socket, which owns it from now on.</summary>
    public ListenerSocket Add(Socket socket)
    {
        lock (_slotsGate)
        {
            if (!_freeSlots.TryPop(out var slot))
            {
                if (_usedSlots == _slots.Length)
                {
                    var larger = new ListenerSocket?[_slots.Length * 2];
                    _slots.CopyTo(larger, 0);
                    Volatile.Write(ref _slots, larger);
                }

                slot = _usedSlots++;
            }

            var waiter = new ListenerSocket(socket, this, slot, Interlocked.Increment(ref s_nextGeneration));
            Volatile.Write(ref _slots[slot], waiter);
            return waiter;
        }
    }

    /// <summary>Stops the thread, which closes the epoll set on its way out (within its wait timeout).</summary>
    public void Dispose() => _stopping = true;

    /// <summary>Arms <paramref name="waiter"/>'s socket for one readiness report; false when the socket is closed.</summary>
    internal bool Arm(ListenerSocket waiter, bool first)
    {
        // The reference keeps the descriptor from being closed, and its number reused, while epoll_ctl uses it.
        var handle = waiter.Socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var epollEvent = stackalloc byte[16];
            *(uint*)epollEvent = ArmEvents;
            *(ulong*)(epollEvent + LinuxSockets.EpollDataOffset) = ((ulong)waiter.Generation << 32) | (uint)waiter.Slot;
            var op = first ? LinuxSockets.EpollCtlAdd : LinuxSockets.EpollCtlMod;
            return LinuxSockets.EpollCtl(_epoll, op, (int)handle.DangerousGetHandle(), epollEvent) == 0;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Stops watching <paramref name="waiter"/>'s socket (before it is closed) and frees its slot.</summary>
    internal void Remove(ListenerSocket waiter, bool armed)
    {
        if (armed)
        {
            var handle = waiter.Socket.SafeHandle;
            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                LinuxSockets.EpollCtl(_epoll, LinuxSockets.EpollCtlDel, (int)handle.DangerousGetHandle(), null);
            }
            catch (ObjectDisposedException)
            {
                // Already closed: the kernel dropped it from the set.
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }

        lock (_slotsGate)
        {
            // A report read before this may still name the slot: the generation in it no longer matches.
            Volatile.Write(ref _slots[waiter.Slot], null);
            _freeSlots.Push(waiter.Slot);
        }
    }

    private void Run()
    {
        var events = stackalloc byte[MaxEvents * LinuxSockets.EpollEventSize];
        while (!_stopping)
        {
            var count = LinuxSockets.EpollWait(_epoll, events, MaxEvents, WaitTimeoutMilliseconds);
            for (var i = 0; i < count; i++)
            {
                var data = *(ulong*)(events + (i * LinuxSockets.EpollEventSize) + LinuxSockets.EpollDataOffset);
                var slots = Volatile.Read(ref _slots);
                var slot = (int)(uint)data;
                if (slot < slots.Length && Volatile.Read(ref slots[slot]) is { } waiter && waiter.Generation == (uint)(data >> 32))
                {
                    try
                    {
                        waiter.Signal();
                    }
                    catch (Exception e)
                    {
                        SignalingLog.ConnectionCrashed(_logger, e);
                    }
                }
            }
        }

        LinuxSockets.Close(_epoll);
    }
}
