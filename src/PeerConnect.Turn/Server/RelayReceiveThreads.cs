using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace PeerConnect.Turn.Server;

/// <summary>A peer datagram read by a receive thread, at <see cref="DataIndication.MaxPrefixLength"/> in the buffer.</summary>
internal delegate void RelayDatagramHandler(TurnAllocation allocation, byte[] buffer, TurnRelayReceiveResult received);

/// <summary>
/// Reads the relay sockets of every allocation with a few dedicated threads (Linux): each thread owns an epoll set
/// and the sockets assigned to it round-robin, waits for readiness, then drains each ready socket with non-blocking
/// recvfrom until EAGAIN and relays every datagram synchronously on the same thread. Compared with one asynchronous
/// receive per socket this saves a completion and a thread-pool hop per datagram, and a busy socket yields a burst
/// per wake-up. Each socket is read by one thread only, so datagrams of one allocation stay in order.
/// </summary>
internal sealed unsafe class RelayReceiveThreads : IDisposable
{
    /// <summary>Datagrams taken from one socket per wake-up before the next ready socket gets its turn.</summary>
    private const int BurstPerSocket = 64;

    private const int MaxEvents = 64;

    /// <summary>How often an idle thread looks at the stop flag; stopping never waits for it.</summary>
    private const int WaitTimeoutMilliseconds = 500;

    private readonly int _threadCount;
    private readonly int _maxDatagramLength;
    private readonly RelayDatagramHandler _handler;
    private readonly TurnServerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, Registration> _registrations = new();
    private readonly Lock _startLock = new();
    private Worker[]? _workers;
    private long _nextId;
    private volatile bool _stopping;

    public RelayReceiveThreads(int threadCount, int maxDatagramLength, RelayDatagramHandler handler, TurnServerMetrics metrics, ILogger logger)
    {
        _threadCount = threadCount;
        _maxDatagramLength = maxDatagramLength;
        _handler = handler;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Adds a relay socket; false when it cannot be watched (the caller falls back to an asynchronous loop).</summary>
    public bool TryRegister(UdpRelaySocket socket, TurnAllocation allocation)
    {
        var workers = StartWorkers();
        if (workers is null)
        {
            return false;
        }
        long id = Interlocked.Increment(ref _nextId);
        var worker = workers[(int)((ulong)id % (ulong)workers.Length)];
        var registration = new Registration(this, worker, socket, allocation, id);
        _registrations[id] = registration;
        bool added = false;
        var handle = socket.Socket.SafeHandle;
        try
        {
            handle.DangerousAddRef(ref added);
            if (worker.Control(LinuxSockets.EpollCtlAdd, (int)handle.DangerousGetHandle(), id))
            {
                socket.Registration = registration;
                return true;
            }
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
        _registrations.TryRemove(id, out _);
        return false;
    }

    /// <summary>Stops the threads; each closes its epoll set on its way out.</summary>
    public void Dispose() => _stopping = true;

    private Worker[]? StartWorkers()
    {
        if (Volatile.Read(ref _workers) is { } started)
        {
            return started.Length > 0 ? started : null;
        }
        lock (_startLock)
        {
            if (_workers is null)
            {
                var workers = new List<Worker>(_threadCount);
                for (int i = 0; i < _threadCount && !_stopping; i++)
                {
                    int epoll = LinuxSockets.EpollCreate1(LinuxSockets.EpollCloexec);
                    if (epoll < 0)
                    {
                        break;
                    }
                    var worker = new Worker(this, epoll);
                    var thread = new Thread(worker.Run) { IsBackground = true, Name = $"TURN relay receive {i}" };
                    thread.Start();
                    workers.Add(worker);
                }
                Volatile.Write(ref _workers, [.. workers]);
            }
            return _workers.Length > 0 ? _workers : null;
        }
    }

    /// <summary>One socket in one epoll set; disposing it (with its socket) takes it out.</summary>
    internal sealed class Registration(RelayReceiveThreads owner, Worker worker, UdpRelaySocket socket, TurnAllocation allocation, long id) : IDisposable
    {
        public UdpRelaySocket Socket => socket;

        public TurnAllocation Allocation => allocation;

        public void Dispose()
        {
            if (!owner._registrations.TryRemove(id, out _))
            {
                return;
            }
            bool added = false;
            var handle = socket.Socket.SafeHandle;
            try
            {
                handle.DangerousAddRef(ref added);
                worker.Control(LinuxSockets.EpollCtlDel, (int)handle.DangerousGetHandle(), id);
            }
            catch (ObjectDisposedException)
            {
                // Already closed: the kernel dropped it from the epoll set with its last descriptor.
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }
    }

    /// <summary>One thread and its epoll set.</summary>
    internal sealed class Worker(RelayReceiveThreads owner, int epoll)
    {
        public bool Control(int operation, int fd, long id)
        {
            byte* epollEvent = stackalloc byte[16];
            new Span<byte>(epollEvent, 16).Clear();
            *(uint*)epollEvent = LinuxSockets.EpollIn;
            // The data field is unaligned on x86-64 (packed struct); write it byte-wise.
            Unsafe.WriteUnaligned(epollEvent + LinuxSockets.EpollDataOffset, id);
            return LinuxSockets.EpollCtl(epoll, operation, fd, epollEvent) == 0;
        }

        public void Run()
        {
            int eventSize = LinuxSockets.EpollEventSize;
            int dataOffset = LinuxSockets.EpollDataOffset;
            byte[] events = GC.AllocateArray<byte>(eventSize * MaxEvents, pinned: true);
            // Received at the prefix offset so the ChannelData header or Data indication goes in front without a copy.
            byte[] buffer = GC.AllocateArray<byte>(DataIndication.MaxPrefixLength + owner._maxDatagramLength + 4, pinned: true);
            byte[] address = GC.AllocateArray<byte>(SocketAddressLength, pinned: true);
            try
            {
                fixed (byte* eventsPointer = events)
                {
                    while (!owner._stopping)
                    {
                        int ready = LinuxSockets.EpollWait(epoll, eventsPointer, MaxEvents, WaitTimeoutMilliseconds);
                        if (ready < 0)
                        {
                            if (Marshal.GetLastPInvokeError() == LinuxSockets.EIntr)
                            {
                                continue;
                            }
                            break;
                        }
                        for (int i = 0; i < ready; i++)
                        {
                            long id = Unsafe.ReadUnaligned<long>(eventsPointer + (i * eventSize) + dataOffset);
                            if (owner._registrations.TryGetValue(id, out var registration))
                            {
                                Drain(registration, buffer, address);
                            }
                        }
                    }
                }
            }
            finally
            {
                LinuxSockets.Close(epoll);
            }
        }

        /// <summary>sockaddr_in6 is the larger of the two: 28 bytes (RFC 3493 §3.3).</summary>
        private const int SocketAddressLength = 28;

        private void Drain(Registration registration, byte[] buffer, byte[] address)
        {
            var allocation = registration.Allocation;
            var handle = registration.Socket.Socket.SafeHandle;
            bool added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                int fd = (int)handle.DangerousGetHandle();
                int max = owner._maxDatagramLength;
                var family = registration.Socket.LocalAddress.Family;
                fixed (byte* data = &buffer[DataIndication.MaxPrefixLength])
                fixed (byte* from = address)
                {
                    for (int n = 0; n < BurstPerSocket && !allocation.Closing.IsCancellationRequested; n++)
                    {
                        int fromLength = SocketAddressLength;
                        nint count = LinuxSockets.RecvFrom(fd, data, (nuint)max, LinuxSockets.MsgDontWait | LinuxSockets.MsgTrunc, from, &fromLength);
                        if (count < 0)
                        {
                            int error = Marshal.GetLastPInvokeError();
                            if (error == LinuxSockets.EAgain)
                            {
                                return;
                            }
                            // EINTR, or ECONNREFUSED from an ICMP error about an earlier send: the socket is still usable.
                            continue;
                        }
                        if (count > max)
                        {
                            owner._metrics.Dropped("too_large");
                            continue;
                        }
                        if (UdpRelaySocket.TryRead(address.AsSpan(0, fromLength), family, out var peer))
                        {
                            owner._handler(allocation, buffer, new TurnRelayReceiveResult((int)count, peer));
                        }
                    }
                }
            }
            catch (ObjectDisposedException)
            {
                // The allocation ended while its socket was ready.
            }
#pragma warning disable CA1031 // One allocation's failure must not end the thread that serves the others.
            catch (Exception e)
#pragma warning restore CA1031
            {
                TurnServerLog.RelayLoopFailed(owner._logger, e, registration.Socket.LocalAddress.ToEndPoint());
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }
    }
}
