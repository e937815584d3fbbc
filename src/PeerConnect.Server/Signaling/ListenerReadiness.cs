using System.Net.Sockets;
using System.Threading.Tasks.Sources;
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
    private ReadinessWaiter?[] _slots = new ReadinessWaiter?[256];
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

    /// <summary>The waiter for one accepted socket, which it owns from now on.</summary>
    public ReadinessWaiter Add(Socket socket)
    {
        lock (_slotsGate)
        {
            if (!_freeSlots.TryPop(out var slot))
            {
                if (_usedSlots == _slots.Length)
                {
                    var larger = new ReadinessWaiter?[_slots.Length * 2];
                    _slots.CopyTo(larger, 0);
                    Volatile.Write(ref _slots, larger);
                }

                slot = _usedSlots++;
            }

            var waiter = new ReadinessWaiter(socket, this, slot, Interlocked.Increment(ref s_nextGeneration));
            Volatile.Write(ref _slots[slot], waiter);
            return waiter;
        }
    }

    /// <summary>Stops the thread, which closes the epoll set on its way out (within its wait timeout).</summary>
    public void Dispose() => _stopping = true;

    /// <summary>Arms <paramref name="waiter"/>'s socket for one readiness report; false when the socket is closed.</summary>
    internal bool Arm(ReadinessWaiter waiter, bool first)
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
    internal void Remove(ReadinessWaiter waiter, bool armed)
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

/// <summary>
/// One listener socket's readiness: <see cref="WaitReadableAsync"/> completes when the socket has something to read
/// (or was hung up), through <see cref="ListenerReadiness"/> or, without it, a zero-byte receive. Owns the socket:
/// <see cref="Close"/> stops watching it, closes it and fails a pending wait.
/// </summary>
internal sealed class ReadinessWaiter : IValueTaskSource<int>
{
    private readonly ListenerReadiness? _readiness;
    private ManualResetValueTaskSourceCore<int> _completion;
    private int _waiting;
    private bool _armed;
    private int _closed;

    public ReadinessWaiter(Socket socket, ListenerReadiness? readiness = null, int slot = -1, uint generation = 0)
    {
        Socket = socket;
        _readiness = readiness;
        Slot = slot;
        Generation = generation;
    }

    public Socket Socket { get; }

    internal int Slot { get; }

    internal uint Generation { get; }

    /// <summary>
    /// Waits until the socket has something to read; the result carries no meaning. A cancellable wait (the listener's
    /// own never are: its connections end by <see cref="Close"/>) goes through a zero-byte receive, which honours it.
    /// </summary>
    public ValueTask<int> WaitReadableAsync(CancellationToken cancellationToken = default)
    {
        if (_readiness is null || cancellationToken.CanBeCanceled)
        {
            return Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken);
        }

        _completion.Reset();
        Volatile.Write(ref _waiting, 1);
        var first = !_armed;
        _armed = true;
        if (Volatile.Read(ref _closed) != 0 || !_readiness.Arm(this, first))
        {
            if (Interlocked.Exchange(ref _waiting, 0) == 1)
            {
                return ValueTask.FromException<int>(new ObjectDisposedException(nameof(System.Net.Sockets.Socket)));
            }
        }

        return new ValueTask<int>(this, _completion.Version);
    }

    /// <summary>Stops watching the socket, closes it and fails a pending wait. Safe to call more than once.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _readiness?.Remove(this, _armed);
        Socket.Dispose();
        if (Interlocked.Exchange(ref _waiting, 0) == 1)
        {
            // Not on the closing thread, which may be the connection's own writer in the middle of its work: the
            // reader learns of the close on the thread pool, as it did from a disposed socket's receive.
            _completion.RunContinuationsAsynchronously = true;
            _completion.SetException(new ObjectDisposedException(nameof(System.Net.Sockets.Socket)));
        }
    }

    int IValueTaskSource<int>.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    /// <summary>From the readiness thread: the socket is readable.</summary>
    internal void Signal()
    {
        if (Interlocked.Exchange(ref _waiting, 0) == 1)
        {
            _completion.SetResult(0);
        }
    }
}
