using System.Net;

namespace PeerConnect.Stun.Client;

/// <summary>
/// The retransmission state machine of one request over UDP (RFC 8489 §6.2.1): send at once, resend after
/// RTO, 2·RTO, 4·RTO … until Rc sends, then wait Rm·RTO for a response. With the defaults the sends go out at
/// 0, 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s and the transaction fails at 39.5 s.
/// </summary>
/// <remarks>
/// The timer callback and the receive loop both touch the state, so it is guarded by a lock; everything under
/// the lock is short and never awaits.
/// </remarks>
internal sealed class StunClientTransaction : IDisposable
{
    private readonly ReadOnlyMemory<byte> _request;
    private readonly EndPoint _destination;
    private readonly Func<ReadOnlyMemory<byte>, EndPoint, ValueTask> _send;
    private readonly StunClientOptions _options;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource<StunResponse> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private ITimer? _timer;
    private CancellationTokenRegistration _cancellation;
    private TimeSpan _nextInterval;
    private int _transmissions;
    private long _firstSentAt;

    public StunClientTransaction(
        TransactionId id,
        ReadOnlyMemory<byte> request,
        EndPoint destination,
        Func<ReadOnlyMemory<byte>, EndPoint, ValueTask> send,
        StunClientOptions options,
        TimeProvider time)
    {
        Id = id;
        _request = request;
        _destination = destination;
        _send = send;
        _options = options;
        _time = time;
        _nextInterval = options.InitialRetransmissionTimeout;
    }

    public TransactionId Id { get; }

    public Task<StunResponse> Completion => _completion.Task;

    public int Transmissions
    {
        get
        {
            lock (_lock)
            {
                return _transmissions;
            }
        }
    }

    public void Start(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _firstSentAt = _time.GetTimestamp();
            _timer = _time.CreateTimer(static state => ((StunClientTransaction)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            TransmitLocked();
        }
        _cancellation = cancellationToken.UnsafeRegister(static state => ((StunClientTransaction)state!).Cancel(), this);
    }

    /// <summary>Completes the transaction with <paramref name="message"/>; false when it already ended.</summary>
    public bool TryComplete(ReadOnlySpan<byte> message, IPEndPoint source)
    {
        lock (_lock)
        {
            if (_completion.Task.IsCompleted)
            {
                return false;
            }
            var rtt = _time.GetElapsedTime(_firstSentAt);
            StopLocked();
            return _completion.TrySetResult(new StunResponse(message.ToArray(), source, rtt));
        }
    }

    /// <summary>Ends the transaction with <paramref name="error"/> unless it already ended.</summary>
    public void Fail(Exception error)
    {
        lock (_lock)
        {
            StopLocked();
            _completion.TrySetException(error);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            StopLocked();
        }
        _cancellation.Dispose();
    }

    private void Cancel()
    {
        lock (_lock)
        {
            StopLocked();
            _completion.TrySetCanceled();
        }
    }

    private void OnTimer()
    {
        lock (_lock)
        {
            if (_completion.Task.IsCompleted)
            {
                return;
            }
            if (_transmissions < _options.MaxTransmissions)
            {
                TransmitLocked();
                return;
            }
            StopLocked();
            _completion.TrySetException(new StunTimeoutException(
                $"No response from {_destination} after {_transmissions} transmissions."));
        }
    }

    private void TransmitLocked()
    {
        _transmissions++;
        TimeSpan wait;
        if (_transmissions < _options.MaxTransmissions)
        {
            wait = _nextInterval;
            _nextInterval *= 2;
        }
        else
        {
            wait = _options.InitialRetransmissionTimeout * _options.LastWaitMultiplier;
        }
        _timer!.Change(wait, Timeout.InfiniteTimeSpan);
        _ = SendAsync();
    }

    private async Task SendAsync()
    {
        try
        {
            await _send(_request, _destination).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Any send failure ends this transaction; the caller sees it as the task's exception.
        catch (Exception e)
#pragma warning restore CA1031
        {
            lock (_lock)
            {
                StopLocked();
                _completion.TrySetException(e);
            }
        }
    }

    private void StopLocked()
    {
        _timer?.Dispose();
        _timer = null;
    }
}
