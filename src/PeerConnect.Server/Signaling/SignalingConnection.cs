using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using PeerConnect.Signaling.Codec;
using PeerConnect.Signaling.Protocol;
using PeerConnect.Turn.Server;

namespace PeerConnect.Server.Signaling;

/// <summary>
/// One client WebSocket. An idle connection holds one pending zero-byte receive and nothing else: a read buffer is
/// borrowed only while a message arrives, sends go through a short queue drained only while it has something in it
/// (on the sender's thread until a write has to wait, then on the thread pool), and the shared
/// <see cref="SignalingHeartbeat"/> pings it and closes it when idle.
/// </summary>
internal sealed class SignalingConnection : ISignalingConnection, IHeartbeatMember, IThreadPoolWorkItem
{
    /// <summary>How long to wait for the client to answer a close frame before dropping the TCP connection.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>What the heartbeat queues; the write stamps a copy with the latest sequence number.</summary>
    private static readonly PingMessage HeartbeatPing = new();

    /// <summary>A message growing past this many times the limit is not worth draining.</summary>
    private const int OversizeDrainFactor = 4;

    /// <summary>
    /// What a message is first read into: enough for a candidate or an ack. A larger message (an SDP) moves to a
    /// <see cref="SignalingOptions.MaxMessageBytes"/> buffer; both come from the pool and go back once it is read.
    /// </summary>
    private const int SmallReadBytes = 2048;

    /// <summary>What an outgoing frame is encoded into: Utf8JsonWriter asks its output for 4 KiB at a time.</summary>
    private const int FrameBufferBytes = 4096;

    private readonly WebSocket _socket;
    private readonly SignalingCodec _codec;
    private readonly SignalingConnectionServices _services;
    private TokenBucket _rateLimit;
    private int _rejectedInARow;

    // The send queue: the hub and the heartbeat add under the lock, one drain at a time empties it. A frame that finds
    // no drain running is written straight away; only frames that arrive while one is being written are queued, in a
    // queue created the first time that happens (most idle connections never need one).
    private readonly Lock _sendGate = new();
    private Queue<Outbound>? _queued;
    private bool _draining;
    private bool _sendsClosed;
    private TaskCompletionSource? _drained;

    private long _lastReceived;
    private long _lastPinged;
    private long _lastSeqWritten;
    private int _heartbeatSlot;
    private volatile bool _serverClosing;
    private ITimer? _abortTimer;

    public SignalingConnection(WebSocket socket, SignalingCodec codec, SignalingConnectionServices services)
    {
        _socket = socket;
        _codec = codec;
        _services = services;
        var now = services.TimeProvider.GetTimestamp();
        _rateLimit = new TokenBucket(services.Options.RateLimitPerSecond, services.Options.RateLimitBurst, now, services.TimeProvider);
        _lastReceived = _lastPinged = now;
    }

    private SignalingOptions Options => _services.Options;

    private SignalingHub Hub => _services.Hub;

    private ILogger Logger => _services.Logger;

    private TimeProvider TimeProvider => _services.TimeProvider;

    public void Send(SignalingMessage message, long? seq = null, long relayStart = 0) =>
        Enqueue(new Outbound(message, seq ?? message.Seq, relayStart, 0, null), closing: false);

    public void Close(int closeStatus, string reason)
    {
        _serverClosing = true;
        SignalingLog.Closing(Logger, closeStatus, reason);
        Enqueue(new Outbound(null, null, 0, closeStatus, reason), closing: true);
    }

    /// <summary>
    /// Runs until the connection ends, tells the hub whether the session ends or waits for a resume, then disposes
    /// the WebSocket and counts the connection out. One state machine for the connection's lifetime: while idle it
    /// waits in a zero-byte receive (on the listener, for the socket's readiness), and a message is read by
    /// <see cref="ReadMessageAsync"/>, which finishes without waiting unless the message arrives in pieces.
    /// </summary>
    public async Task RunAsync(CancellationToken requestAborted)
    {
        try
        {
            _heartbeatSlot = _services.Heartbeat.Add(this);
            var endSession = false;
            try
            {
                while (true)
                {
                    if (_socket is ListenerWebSocket listener)
                    {
                        await listener.WaitForFrameAsync().ConfigureAwait(false);
                    }

                    // A zero-byte receive waits for the next frame without a buffer; on Kestrel it reaches down to the
                    // socket, which then waits without one too.
                    var first = await _socket.ReceiveAsync(Memory<byte>.Empty, requestAborted).ConfigureAwait(false);
                    var ended = first.MessageType == WebSocketMessageType.Close
                        ? ClosedNormally()
                        : await ReadMessageAsync(first, requestAborted).ConfigureAwait(false);
                    if (ended is { } end)
                    {
                        endSession = end;
                        break;
                    }
                }
            }
            catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                SignalingLog.ConnectionFailed(Logger, e);
            }

            _services.Heartbeat.Remove(this, _heartbeatSlot);
            Hub.Post(new DetachCommand(this, endSession));
            if (!_serverClosing)
            {
                if (_socket.State == WebSocketState.CloseReceived)
                {
                    Close(_socket.CloseStatus is { } status ? (int)status : SignalingCloseCodes.Normal, "");
                }
                else
                {
                    _socket.Abort();
                    StopSending();
                }
            }

            await DrainedAsync().ConfigureAwait(false);
            _abortTimer?.Dispose();
        }
        catch (Exception e)
        {
            SignalingLog.ConnectionCrashed(Logger, e);
        }
        finally
        {
            _socket.Dispose();
            _services.Closed();
        }
    }

    /// <summary>Called by the shared heartbeat once per interval.</summary>
    public void Beat()
    {
        if (_serverClosing)
        {
            return;
        }

        var now = TimeProvider.GetTimestamp();
        if (TimeProvider.GetElapsedTime(Volatile.Read(ref _lastReceived), now) > Options.IdleTimeout)
        {
            Close(SignalingCloseCodes.IdleTimeout, "no frame within the idle timeout");
            return;
        }

        // The first visit may come up to a slot early after the connection opened; the first ping waits a full interval.
        if (TimeProvider.GetElapsedTime(_lastPinged, now) >= Options.HeartbeatInterval - (Options.HeartbeatInterval / SignalingHeartbeat.Slots))
        {
            _lastPinged = now;
            Send(HeartbeatPing);
        }
    }

    void IThreadPoolWorkItem.Execute() => _ = DrainAsync(null);

    /// <summary>
    /// Reads the rest of a message whose first frame has arrived and processes it. Null while the connection goes on;
    /// once it ends, whether the client closed normally (1000 or 1001) and the session should end.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool?> ReadMessageAsync(ValueWebSocketReceiveResult result, CancellationToken cancellationToken)
    {
        var max = Options.MaxMessageBytes;
        byte[]? buffer = null;
        try
        {
            var length = 0;
            long total = 0;
            var oversize = false;
            if (!result.EndOfMessage)
            {
                buffer = ArrayPool<byte>.Shared.Rent(Math.Min(SmallReadBytes, max));
                do
                {
                    var capacity = Math.Min(buffer.Length, max);
                    if (!oversize && length == capacity)
                    {
                        if (capacity < max)
                        {
                            var larger = ArrayPool<byte>.Shared.Rent(max);
                            buffer.AsSpan(0, length).CopyTo(larger);
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = larger;
                            capacity = max;
                        }
                        else
                        {
                            oversize = true;
                        }
                    }

                    var target = oversize ? buffer.AsMemory(0, capacity) : buffer.AsMemory(length, capacity - length);
                    result = await _socket.ReceiveAsync(target, cancellationToken).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return ClosedNormally();
                    }

                    total += result.Count;
                    if (!oversize)
                    {
                        length += result.Count;
                    }

                    if (total > (long)max * OversizeDrainFactor)
                    {
                        CloseAfterError(SignalingErrorCode.TooLarge, $"Messages are limited to {max} bytes.", SignalingCloseCodes.MessageTooBig);
                        return await DiscardUntilCloseAsync(buffer, cancellationToken).ConfigureAwait(false);
                    }
                }
                while (!result.EndOfMessage);
            }

            if (!Process(buffer is null ? ReadOnlyMemory<byte>.Empty : buffer.AsMemory(0, length), result.MessageType, oversize, total))
            {
                buffer ??= ArrayPool<byte>.Shared.Rent(SmallReadBytes);
                return await DiscardUntilCloseAsync(buffer, cancellationToken).ConfigureAwait(false);
            }

            return null;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// After closing for an error, reads and drops what the client still sends until its close frame (RFC 6455
    /// section 7.1.1) or the close timeout: a socket closed with unread data sends a TCP reset, and the reset would
    /// discard the error and close frame the client has not read yet.
    /// </summary>
    private async Task<bool> DiscardUntilCloseAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        while ((await _socket.ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)).MessageType != WebSocketMessageType.Close)
        {
        }

        return false;
    }

    private bool ClosedNormally() =>
        !_serverClosing && _socket.CloseStatus is WebSocketCloseStatus.NormalClosure or WebSocketCloseStatus.EndpointUnavailable;

    /// <summary>
    /// Applies the rate limit and hands one complete message to the hub. False when the connection is being closed
    /// for exceeding the limit.
    /// </summary>
    private bool Process(ReadOnlyMemory<byte> message, WebSocketMessageType type, bool oversize, long total)
    {
        var receivedAt = TimeProvider.GetTimestamp();
        Volatile.Write(ref _lastReceived, receivedAt);
        if (!_rateLimit.TryTake(1, receivedAt))
        {
            if (++_rejectedInARow > Options.RateLimitBurst)
            {
                CloseAfterError(SignalingErrorCode.RateLimited, "Kept sending over the rate limit.", SignalingCloseCodes.RateLimited);
                return false;
            }

            Reject(SignalingErrorCode.RateLimited, "Too many messages; this one was dropped.", null);
            return true;
        }

        _rejectedInARow = 0;
        if (oversize)
        {
            Reject(SignalingErrorCode.TooLarge, $"Messages are limited to {Options.MaxMessageBytes} bytes; this one had {total}.", null);
            return true;
        }

        if (type != _codec.FrameType)
        {
            Reject(SignalingErrorCode.BadMessage, $"{_codec.Subprotocol} messages travel in {_codec.FrameType.ToString().ToLowerInvariant()} frames.", null);
            return true;
        }

        try
        {
            Hub.Post(new InboundCommand(this, _codec.Decode(message), receivedAt));
        }
        catch (SignalingProtocolException e)
        {
            SignalingLog.BadMessage(Logger, e.Message);
            Reject(SignalingErrorCode.BadMessage, e.Message, e.RequestId);
        }

        return true;
    }

    /// <summary>Closes through the hub so that errors it has not yet sent to this connection go out first.</summary>
    private void CloseAfterError(SignalingErrorCode code, string text, int closeStatus)
    {
        _serverClosing = true;
        Hub.Post(new RejectCommand(this, new ErrorMessage(code, text), closeStatus, text));
    }

    private void Reject(SignalingErrorCode code, string text, long? requestId) =>
        Hub.Post(new RejectCommand(this, new ErrorMessage(code, text) { Ref = requestId }));

    /// <summary>Queues a frame and starts a drain unless one is running; nothing is queued after the close frame.</summary>
    private void Enqueue(Outbound item, bool closing)
    {
        lock (_sendGate)
        {
            if (_sendsClosed)
            {
                return;
            }

            _sendsClosed = closing;
            if (_draining)
            {
                (_queued ??= new()).Enqueue(item);
                return;
            }

            _draining = true;
        }

        // On the caller's thread until a write has to wait: a relayed signal then reaches the socket without another
        // thread's wake-up, which on a busy host is what the tail latency is made of.
        _ = DrainAsync(item);
    }

    /// <summary>Drops what is queued and refuses more (the socket is gone).</summary>
    private void StopSending()
    {
        lock (_sendGate)
        {
            _sendsClosed = true;
            _queued?.Clear();
        }
    }

    /// <summary>
    /// Completes once sending has ended: the close frame written (the hub may still be about to queue it, after an
    /// error it has to send first) or the queue dropped.
    /// </summary>
    private Task DrainedAsync()
    {
        lock (_sendGate)
        {
            if (_sendsClosed && !_draining)
            {
                return Task.CompletedTask;
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }

    /// <summary>Writes <paramref name="first"/>, if any, then whatever was queued meanwhile, until the queue is empty.</summary>
    private async Task DrainAsync(Outbound? first)
    {
        try
        {
            for (var item = first ?? NextQueued(); item is { } next; item = NextQueued())
            {
                if (!await WriteAsync(next).ConfigureAwait(false))
                {
                    StopSending();
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The held messages survive in the session; the reader sees the abort and reports the drop. Whatever
            // ends the drain must end it here: RunAsync waits for it.
            SignalingLog.ConnectionFailed(Logger, e);
            _socket.Abort();
            StopSending();
        }

        TaskCompletionSource? drained;
        lock (_sendGate)
        {
            if (_queued?.Count > 0)
            {
                // Queued between the last dequeue and this lock: this drain carries on in a new work item.
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                return;
            }

            _draining = false;
            drained = _sendsClosed ? _drained : null;
            if (drained is not null)
            {
                _drained = null;
            }
        }

        drained?.TrySetResult();
    }

    private Outbound? NextQueued()
    {
        lock (_sendGate)
        {
            return _queued is not null && _queued.TryDequeue(out var item) ? item : null;
        }
    }

    /// <summary>Writes one frame; false after the close frame, when nothing more may be sent.</summary>
    private async ValueTask<bool> WriteAsync(Outbound item)
    {
        if (item.Message is not { } message)
        {
            _abortTimer = TimeProvider.CreateTimer(static s => ((WebSocket)s!).Abort(), _socket, CloseTimeout, Timeout.InfiniteTimeSpan);
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync((WebSocketCloseStatus)item.CloseStatus, item.CloseReason, CancellationToken.None).ConfigureAwait(false);
            }

            return false;
        }

        var seq = item.Seq;
        if (message is PingMessage && seq is null)
        {
            seq = Volatile.Read(ref _lastSeqWritten);
        }

        using (var frame = RentedBufferWriter.Rent(FrameBufferBytes))
        {
            _codec.Encode(message, seq, frame);
            await _socket.SendAsync(frame.WrittenMemory, _codec.FrameType, true, CancellationToken.None).ConfigureAwait(false);
        }

        _services.Metrics.MessagesSent.Add(1, new KeyValuePair<string, object?>("type", message.Type));
        if (message.IsSequenced)
        {
            Volatile.Write(ref _lastSeqWritten, seq ?? 0);
        }

        if (item.RelayStart != 0)
        {
            _services.Metrics.RelayLatency.Record(TimeProvider.GetElapsedTime(item.RelayStart).TotalSeconds);
        }

        return true;
    }

    private readonly record struct Outbound(SignalingMessage? Message, long? Seq, long RelayStart, int CloseStatus, string? CloseReason);
}
