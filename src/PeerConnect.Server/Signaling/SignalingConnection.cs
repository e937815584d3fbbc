using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using PeerConnect.Signaling.Codec;
using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Server.Signaling;

/// <summary>
/// One client WebSocket: a reader loop that enforces the size and rate limits and hands decoded messages to the hub,
/// a writer loop that owns every send, and a heartbeat loop that pings and closes idle connections.
/// </summary>
internal sealed class SignalingConnection : ISignalingConnection
{
    /// <summary>How long to wait for the client to answer a close frame before dropping the TCP connection.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>A message growing past this many times the limit is not worth draining.</summary>
    private const int OversizeDrainFactor = 4;

    /// <summary>
    /// What each connection keeps for reading: enough for a candidate or an ack. A larger message (an SDP) borrows a
    /// <see cref="SignalingOptions.MaxMessageBytes"/> buffer from the pool while it is read, so an idle connection
    /// does not pin 64 KiB.
    /// </summary>
    private const int ResidentReadBytes = 2048;

    private readonly WebSocket _socket;
    private readonly SignalingCodec _codec;
    private readonly SignalingOptions _options;
    private readonly SignalingHub _hub;
    private readonly SignalingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Channel<Outbound> _outbound = Channel.CreateUnbounded<Outbound>(new() { SingleReader = true });
    private readonly TokenBucket _rateLimit;
    private long _lastReceived;
    private long _lastSeqWritten;
    private volatile bool _serverClosing;
    private ITimer? _abortTimer;

    public SignalingConnection(
        WebSocket socket,
        SignalingCodec codec,
        SignalingOptions options,
        SignalingHub hub,
        SignalingMetrics metrics,
        ILogger logger,
        TimeProvider timeProvider)
    {
        _socket = socket;
        _codec = codec;
        _options = options;
        _hub = hub;
        _metrics = metrics;
        _logger = logger;
        _timeProvider = timeProvider;
        _rateLimit = new TokenBucket(options.RateLimitPerSecond, options.RateLimitBurst, timeProvider);
        _lastReceived = timeProvider.GetTimestamp();
    }

    public void Send(SignalingMessage message, long relayStart = 0) => _outbound.Writer.TryWrite(new Outbound(message, relayStart, 0, null));

    public void Close(int closeStatus, string reason)
    {
        _serverClosing = true;
        SignalingLog.Closing(_logger, closeStatus, reason);
        _outbound.Writer.TryWrite(new Outbound(null, 0, closeStatus, reason));
        _outbound.Writer.TryComplete();
    }

    /// <summary>Runs until the connection ends, then tells the hub whether the session ends or waits for a resume.</summary>
    public async Task RunAsync(CancellationToken requestAborted)
    {
        var writer = WriteLoopAsync();
        using var stopHeartbeat = new CancellationTokenSource();
        var heartbeat = HeartbeatLoopAsync(stopHeartbeat.Token);
        var endSession = await ReadLoopAsync(requestAborted).ConfigureAwait(false);
        _hub.Post(new DetachCommand(this, endSession));
        await stopHeartbeat.CancelAsync().ConfigureAwait(false);
        if (!_serverClosing)
        {
            if (_socket.State == WebSocketState.CloseReceived)
            {
                Close(_socket.CloseStatus is { } status ? (int)status : SignalingCloseCodes.Normal, "");
            }
            else
            {
                _socket.Abort();
                _outbound.Writer.TryComplete();
            }
        }

        await writer.ConfigureAwait(false);
        await heartbeat.ConfigureAwait(false);
        _abortTimer?.Dispose();
    }

    /// <summary>Reads until the socket closes; true when the client closed normally (1000 or 1001) and the session should end.</summary>
    private async Task<bool> ReadLoopAsync(CancellationToken cancellationToken)
    {
        var max = _options.MaxMessageBytes;
        var resident = new byte[Math.Min(ResidentReadBytes, max)];
        var buffer = resident;
        var rejectedInARow = 0;
        try
        {
            while (true)
            {
                if (buffer != resident)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = resident;
                }

                var length = 0;
                long total = 0;
                var oversize = false;
                ValueWebSocketReceiveResult result;
                do
                {
                    var capacity = buffer == resident ? resident.Length : max;
                    if (!oversize && length == capacity)
                    {
                        if (capacity < max)
                        {
                            var larger = ArrayPool<byte>.Shared.Rent(max);
                            resident.AsSpan(0, length).CopyTo(larger);
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
                        return !_serverClosing && _socket.CloseStatus is WebSocketCloseStatus.NormalClosure or WebSocketCloseStatus.EndpointUnavailable;
                    }

                    total += result.Count;
                    if (!oversize)
                    {
                        length += result.Count;
                    }

                    if (total > (long)max * OversizeDrainFactor)
                    {
                        CloseAfterError(SignalingErrorCode.TooLarge, $"Messages are limited to {max} bytes.", SignalingCloseCodes.MessageTooBig);
                        return false;
                    }
                }
                while (!result.EndOfMessage);

                var receivedAt = _timeProvider.GetTimestamp();
                Volatile.Write(ref _lastReceived, receivedAt);
                if (!_rateLimit.TryTake())
                {
                    if (++rejectedInARow > _options.RateLimitBurst)
                    {
                        CloseAfterError(SignalingErrorCode.RateLimited, "Kept sending over the rate limit.", SignalingCloseCodes.RateLimited);
                        return false;
                    }

                    Reject(SignalingErrorCode.RateLimited, "Too many messages; this one was dropped.", null);
                    continue;
                }

                rejectedInARow = 0;
                if (oversize)
                {
                    Reject(SignalingErrorCode.TooLarge, $"Messages are limited to {max} bytes; this one had {total}.", null);
                    continue;
                }

                if (result.MessageType != _codec.FrameType)
                {
                    Reject(SignalingErrorCode.BadMessage, $"{_codec.Subprotocol} messages travel in {_codec.FrameType.ToString().ToLowerInvariant()} frames.", null);
                    continue;
                }

                try
                {
                    _hub.Post(new InboundCommand(this, _codec.Decode(buffer.AsMemory(0, length)), receivedAt));
                }
                catch (SignalingProtocolException e)
                {
                    SignalingLog.BadMessage(_logger, e.Message);
                    Reject(SignalingErrorCode.BadMessage, e.Message, e.RequestId);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            SignalingLog.ConnectionFailed(_logger, e);
            return false;
        }
        finally
        {
            if (buffer != resident)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Closes through the hub so that errors it has not yet sent to this connection go out first.</summary>
    private void CloseAfterError(SignalingErrorCode code, string text, int closeStatus)
    {
        _serverClosing = true;
        _hub.Post(new RejectCommand(this, new ErrorMessage(code, text), closeStatus, text));
    }

    private void Reject(SignalingErrorCode code, string text, long? requestId) =>
        _hub.Post(new RejectCommand(this, new ErrorMessage(code, text) { Ref = requestId }));

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var item in _outbound.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                if (item.Message is not { } message)
                {
                    _abortTimer = _timeProvider.CreateTimer(static s => ((WebSocket)s!).Abort(), _socket, CloseTimeout, Timeout.InfiniteTimeSpan);
                    if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync((WebSocketCloseStatus)item.CloseStatus, item.CloseReason, CancellationToken.None).ConfigureAwait(false);
                    }

                    return;
                }

                if (message is PingMessage { Seq: null })
                {
                    message = message with { Seq = Volatile.Read(ref _lastSeqWritten) };
                }

                await _socket.SendAsync(_codec.Encode(message), _codec.FrameType, true, CancellationToken.None).ConfigureAwait(false);
                _metrics.MessagesSent.Add(1, new KeyValuePair<string, object?>("type", message.Type));
                if (message.IsSequenced)
                {
                    Volatile.Write(ref _lastSeqWritten, message.Seq ?? 0);
                }

                if (item.RelayStart != 0)
                {
                    _metrics.RelayLatency.Record(_timeProvider.GetElapsedTime(item.RelayStart).TotalSeconds);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The held messages survive in the session; the reader sees the abort and reports the drop.
            SignalingLog.ConnectionFailed(_logger, e);
            _socket.Abort();
        }
    }

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_timeProvider.GetElapsedTime(Volatile.Read(ref _lastReceived)) > _options.IdleTimeout)
                {
                    Close(SignalingCloseCodes.IdleTimeout, "no frame within the idle timeout");
                    return;
                }

                Send(new PingMessage());
            }
        }
        catch (OperationCanceledException)
        {
            // The connection ended; nothing left to ping.
        }
    }

    private readonly record struct Outbound(SignalingMessage? Message, long RelayStart, int CloseStatus, string? CloseReason);
}
