using System.Buffers;
using System.Net;
using System.Threading.Tasks.Sources;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Turn.Client;

/// <summary>
/// Hands relayed datagrams from the client's receive loop to the single reader of <see cref="TurnRelayTransport"/>.
/// A bounded ring of pooled buffers plus one reusable waiter, so a steady stream allocates nothing: a waiting
/// reader gets the data copied straight into its buffer, otherwise it is parked in the ring until read or, when
/// the ring is full, dropped like a datagram on a full socket buffer.
/// </summary>
internal sealed class RelayInbox : IValueTaskSource<DatagramReceiveResult>
{
    private readonly Lock _lock = new();
    private readonly Slot[] _ring;
    private readonly Action<object?, CancellationToken> _onCancel;
    private ManualResetValueTaskSourceCore<DatagramReceiveResult> _waiter = new() { RunContinuationsAsynchronously = true };
    private Memory<byte> _waitingBuffer;
    private CancellationTokenRegistration _waitingRegistration;
    private bool _waiting;
    private Exception? _closed;
    private int _head;
    private int _count;
    private long _dropped;

    public RelayInbox(int capacity)
    {
        _ring = new Slot[capacity];
        _onCancel = static (state, token) => ((RelayInbox)state!).CancelWaiter(token);
    }

    /// <summary>Datagrams dropped because the reader fell behind by more than the capacity.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Delivers one datagram; false when it was dropped (ring full or inbox closed).</summary>
    public bool TryPost(ReadOnlySpan<byte> data, IPEndPoint from)
    {
        DatagramReceiveResult delivered;
        CancellationTokenRegistration registration;
        lock (_lock)
        {
            if (_closed is not null)
            {
                return false;
            }

            if (!_waiting)
            {
                if (_count == _ring.Length)
                {
                    _dropped++;
                    return false;
                }

                byte[] copy = ArrayPool<byte>.Shared.Rent(data.Length);
                data.CopyTo(copy);
                _ring[(_head + _count) % _ring.Length] = new Slot(copy, data.Length, from);
                _count++;
                return true;
            }

            delivered = CopyOut(data, from, _waitingBuffer.Span);
            registration = TakeWaiterLocked();
        }

        registration.Dispose();
        _waiter.SetResult(delivered);
        return true;
    }

    /// <summary>The next datagram, at once when one is queued.</summary>
    /// <exception cref="InvalidOperationException">Another receive is already waiting.</exception>
    public ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (TryDequeue(buffer.Span, out DatagramReceiveResult ready))
        {
            return new ValueTask<DatagramReceiveResult>(ready);
        }

        // Registering outside the lock keeps a synchronously running callback from re-entering it.
        CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(_onCancel, this)
            : default;
        short version;
        lock (_lock)
        {
            if (_count > 0 || _closed is not null || cancellationToken.IsCancellationRequested || _waiting)
            {
                version = -1;
            }
            else
            {
                _waiter.Reset();
                _waiting = true;
                _waitingBuffer = buffer;
                _waitingRegistration = registration;
                version = _waiter.Version;
            }
        }

        if (version >= 0)
        {
            return new ValueTask<DatagramReceiveResult>(this, version);
        }

        registration.Dispose();
        return SlowPathResult(buffer, cancellationToken);
    }

    /// <summary>Fails a waiting reader and later receives with <paramref name="reason"/>, and drops what is queued.</summary>
    public void Close(Exception reason)
    {
        CancellationTokenRegistration registration = default;
        bool wake;
        lock (_lock)
        {
            if (_closed is not null)
            {
                return;
            }

            _closed = reason;
            while (_count > 0)
            {
                ArrayPool<byte>.Shared.Return(_ring[_head].Data);
                _ring[_head] = default;
                _head = (_head + 1) % _ring.Length;
                _count--;
            }

            wake = _waiting;
            if (wake)
            {
                registration = TakeWaiterLocked();
            }
        }

        if (wake)
        {
            registration.Dispose();
            _waiter.SetException(reason);
        }
    }

    DatagramReceiveResult IValueTaskSource<DatagramReceiveResult>.GetResult(short token) => _waiter.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<DatagramReceiveResult>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<DatagramReceiveResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);

    private ValueTask<DatagramReceiveResult> SlowPathResult(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (TryDequeue(buffer.Span, out DatagramReceiveResult ready))
        {
            return new ValueTask<DatagramReceiveResult>(ready);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<DatagramReceiveResult>(cancellationToken);
        }

        lock (_lock)
        {
            return ValueTask.FromException<DatagramReceiveResult>(_closed ?? new InvalidOperationException("Only one receive may wait at a time."));
        }
    }

    private bool TryDequeue(Span<byte> destination, out DatagramReceiveResult result)
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                result = default;
                return false;
            }

            Slot slot = _ring[_head];
            _ring[_head] = default;
            _head = (_head + 1) % _ring.Length;
            _count--;
            result = CopyOut(slot.Data.AsSpan(0, slot.Count), slot.From, destination);
            ArrayPool<byte>.Shared.Return(slot.Data);
            return true;
        }
    }

    private void CancelWaiter(CancellationToken token)
    {
        lock (_lock)
        {
            if (!_waiting)
            {
                return;
            }

            _waiting = false;
            _waitingBuffer = default;
            _waitingRegistration = default;
        }

        _waiter.SetException(new OperationCanceledException(token));
    }

    private CancellationTokenRegistration TakeWaiterLocked()
    {
        CancellationTokenRegistration registration = _waitingRegistration;
        _waiting = false;
        _waitingBuffer = default;
        _waitingRegistration = default;
        return registration;
    }

    // Like a UDP socket, a buffer shorter than the datagram receives its first bytes only.
    private static DatagramReceiveResult CopyOut(ReadOnlySpan<byte> data, IPEndPoint from, Span<byte> destination)
    {
        int count = Math.Min(data.Length, destination.Length);
        data[..count].CopyTo(destination);
        return new DatagramReceiveResult(count, from);
    }

    private readonly record struct Slot(byte[] Data, int Count, IPEndPoint From);
}
