using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PeerConnect.Signaling.Codec;
using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Signaling.Client;

/// <summary>
/// A signaling client: connects to a PeerConnect server, joins rooms, sends signals to peers and receives theirs as
/// events or through <see cref="ReadAllAsync"/>. When the connection drops it reconnects with backoff and resumes
/// the session, so no server message is lost or repeated; after the resume window it starts a new session and joins
/// its rooms again. In the other direction it numbers its <c>join</c>, <c>leave</c> and <c>signal</c> messages
/// (<c>cseq</c>), keeps them until the server acknowledges them, and after a resume resends those the server had not
/// processed (a message written into a connection that was already dead); the server ignores any it already had.
/// </summary>
/// <remarks>Events are raised on the receive loop, one at a time and in order; handlers should return quickly.</remarks>
public sealed class SignalingClient : IAsyncDisposable
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly SignalingClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<SignalingMessage>> _pending = new();
    private readonly ConcurrentDictionary<string, JoinMessage> _rooms = new(StringComparer.Ordinal);
    private readonly List<Channel<SignalingMessage>> _readers = [];
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly Queue<SignalingMessage> _unacked = new();
    private long _clientSeq;
    private long _sessionEpoch;
    private TaskCompletionSource<SignalingLink> _linkReady = NewLinkSource();
    private string? _resumeToken;
    private long _lastSeq;
    private int _sinceAck;
    private long _nextId;
    private long _lastReceived;
    private volatile bool _closing;
    private Task? _run;

    /// <summary>Creates a client; call <see cref="ConnectAsync"/> to connect.</summary>
    /// <param name="options">Where to connect and how.</param>
    /// <param name="logger">Optional logger.</param>
    /// <param name="timeProvider">Clock for heartbeats, timeouts and backoff; the system clock by default.</param>
    public SignalingClient(SignalingClientOptions options, ILogger<SignalingClient>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>A signal arrived from a peer (sender stamped by the server).</summary>
    public event EventHandler<SignalingMessageEventArgs<SignalMessage>>? SignalReceived;

    /// <summary>A peer joined one of this client's rooms.</summary>
    public event EventHandler<SignalingMessageEventArgs<PeerJoinedMessage>>? PeerJoined;

    /// <summary>A peer left one of this client's rooms.</summary>
    public event EventHandler<SignalingMessageEventArgs<PeerLeftMessage>>? PeerLeft;

    /// <summary>A signal this client sent was not delivered: its receiver dropped and did not come back in time.</summary>
    public event EventHandler<SignalingMessageEventArgs<ExpiredMessage>>? SignalExpired;

    /// <summary>The server sent an error (including those that also fail a <see cref="JoinAsync"/> or <see cref="LeaveAsync"/>).</summary>
    public event EventHandler<SignalingMessageEventArgs<ErrorMessage>>? ErrorReceived;

    /// <summary>The client reconnected after a drop.</summary>
    public event EventHandler<SignalingReconnectedEventArgs>? Reconnected;

    /// <summary>This client's peer id; <see langword="null"/> before the first connection.</summary>
    public string? SessionId { get; private set; }

    /// <summary>ICE servers the server handed out for this user (TURN entries carry short-lived credentials).</summary>
    public IReadOnlyList<IceServerInfo> IceServers { get; private set; } = [];

    /// <summary>Where the client is in its life.</summary>
    public SignalingClientState State { get; private set; }

    /// <summary>The highest sequence number received on this session.</summary>
    public long LastSequence => Volatile.Read(ref _lastSeq);

    /// <summary>Awaited before every reconnect attempt; tests use it to hold the client away from the server.</summary>
    internal Func<CancellationToken, Task>? BeforeReconnect { get; set; }

    /// <summary>
    /// Tests: when it returns true for a numbered message, the send "succeeds" but the frame never reaches the socket,
    /// as if it was written into a connection that was already dead.
    /// </summary>
    internal Func<SignalingMessage, bool>? DropOutgoing { get; set; }

    /// <summary>Numbered messages sent and not yet acknowledged by the server.</summary>
    internal int UnacknowledgedCount
    {
        get
        {
            lock (_unacked)
            {
                return _unacked.Count;
            }
        }
    }

    /// <summary>Connects and waits for the server's greeting.</summary>
    /// <exception cref="SignalingException">The server refused the connection (for example <see cref="SignalingErrorCode.Unauthorized"/>).</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        if (State != SignalingClientState.Created)
        {
            throw new InvalidOperationException("ConnectAsync may be called once.");
        }

        var uri = await BuildUriAsync(resume: false, cancellationToken).ConfigureAwait(false);
        var (link, welcome) = await SignalingLink.OpenAsync(uri, _options, cancellationToken).ConfigureAwait(false);
        Accept(link, welcome);
        _run = Task.Run(() => RunAsync(link, welcome), CancellationToken.None);
    }

    /// <summary>Joins a room and returns the members already in it.</summary>
    /// <exception cref="SignalingException">The server refused (room full, unauthorized, limit exceeded, …).</exception>
    public async Task<IReadOnlyList<PeerInfo>> JoinAsync(
        string room,
        string? name = null,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default)
    {
        var join = new JoinMessage(room, name, metadata);
        var joined = (JoinedMessage)await RequestAsync(id => join with { Id = id }, cancellationToken).ConfigureAwait(false);
        _rooms[room] = join;
        return joined.Members;
    }

    /// <summary>Leaves a room.</summary>
    /// <exception cref="SignalingException">The client was not in the room.</exception>
    public async Task LeaveAsync(string room, CancellationToken cancellationToken = default)
    {
        _rooms.TryRemove(room, out _);
        await RequestAsync(id => new LeaveMessage(room) { Id = id }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a signal to a peer that shares a room with this client. Returns the request id the server echoes as
    /// <c>ref</c> in an error or an expiry notice about this signal. While reconnecting, waits for the connection.
    /// </summary>
    public async Task<long> SendSignalAsync(string to, SignalMessage signal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var id = Interlocked.Increment(ref _nextId);
        await SendAsync(signal with { To = to, From = null, Id = id, Seq = null }, cancellationToken).ConfigureAwait(false);
        return id;
    }

    /// <summary>
    /// Every sequenced server message (signals, peer events, errors, expiry notices, answers) from this call on, in
    /// order. Each call gets its own reader, which holds up to <see cref="SignalingClientOptions.ReaderCapacity"/>
    /// messages before the receive loop waits for it: enumerate what you ask for.
    /// </summary>
    public IAsyncEnumerable<SignalingMessage> ReadAllAsync(CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<SignalingMessage>(new BoundedChannelOptions(_options.ReaderCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        lock (_readers)
        {
            if (State == SignalingClientState.Closed)
            {
                channel.Writer.TryComplete();
            }
            else
            {
                _readers.Add(channel);
            }
        }

        return ReadAsync(channel, cancellationToken);
    }

    /// <summary>Closes normally: the server ends the session at once and peers see <c>peer-left</c>.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        if (_closing)
        {
            return;
        }

        _closing = true;
        SignalingLink? link;
        lock (_gate)
        {
            link = _linkReady.Task.IsCompletedSuccessfully ? _linkReady.Task.Result : null;
        }

        if (link is not null)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CloseTimeout);
            try
            {
                await link.CloseAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                link.Abort();
            }
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (_run is not null)
        {
            await _run.ConfigureAwait(false);
        }

        SetClosed();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        _lifetime.Dispose();
        _sendGate.Dispose();
    }

    /// <summary>Drops the connection without a close frame, as a network change would; the client then reconnects.</summary>
    internal void AbortConnection()
    {
        lock (_gate)
        {
            if (_linkReady.Task.IsCompletedSuccessfully)
            {
                _linkReady.Task.Result.Abort();
            }
        }
    }

    private static TaskCompletionSource<SignalingLink> NewLinkSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task<SignalingMessage> RequestAsync(Func<long, SignalingMessage> create, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<SignalingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            await SendAsync(create(id), cancellationToken).ConfigureAwait(false);
            var reply = await answer.Task.WaitAsync(_options.RequestTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
            return reply is ErrorMessage error ? throw new SignalingException(error.Code, error.Message) : reply;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// Numbers the message (<c>cseq</c>), keeps it for a resend and writes it. Numbering and writing happen under one
    /// gate so the server sees the numbers in order; a reconnect takes the same gate to resend before new sends.
    /// </summary>
    private async Task SendAsync(SignalingMessage message, CancellationToken cancellationToken)
    {
        var epoch = 0L;
        while (true)
        {
            Task<SignalingLink> ready;
            lock (_gate)
            {
                ready = _linkReady.Task;
            }

            var link = await ready.WaitAsync(cancellationToken).ConfigureAwait(false);
            await _sendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                lock (_gate)
                {
                    if (!_linkReady.Task.IsCompletedSuccessfully || _linkReady.Task.Result != link)
                    {
                        // Replaced while this waited for the gate; a resume may have resent this message already.
                        continue;
                    }
                }

                var askForAck = false;
                if (message.ClientSeq is not null)
                {
                    if (epoch == _sessionEpoch)
                    {
                        // A retry after a local failure on a resumed session: the resume resent it (or the server had it).
                        return;
                    }

                    // The session was replaced: number it again, after anything the new session has already seen.
                    message = message with { ClientSeq = null };
                }

                if (message.ClientSeq is null)
                {
                    epoch = _sessionEpoch;
                    message = message with { ClientSeq = ++_clientSeq };
                    askForAck = Remember(message);
                }

                if (message is SignalMessage signal && Interlocked.Exchange(ref _sinceAck, 0) > 0)
                {
                    // The acknowledgement rides on the signal: the server forgets sooner and no ack frame is needed.
                    message = signal with { Ack = LastSequence };
                }

                if (DropOutgoing?.Invoke(message) != true)
                {
                    await link.SendAsync(message, cancellationToken).ConfigureAwait(false);
                }

                if (askForAck)
                {
                    await link.SendAsync(new PingMessage(LastSequence), cancellationToken).ConfigureAwait(false);
                }

                return;
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException && !_closing)
            {
                // The frame may not have gone out: a resume resends it; a new session gets it numbered again and sent.
                link.Abort();
                Unpublish(link);
            }
            finally
            {
                _sendGate.Release();
            }
        }
    }

    /// <summary>Keeps a numbered message for a resend; true when the buffer filled another quarter and an acknowledgement should be asked for.</summary>
    private bool Remember(SignalingMessage message)
    {
        var capacity = Math.Max(1, _options.ResendBufferSize);
        lock (_unacked)
        {
            if (_unacked.Count >= capacity)
            {
                ClientLog.ResendBufferFull(_logger, _unacked.Dequeue().ClientSeq ?? 0);
            }

            _unacked.Enqueue(message);
            return _unacked.Count % Math.Max(1, capacity / 4) == 0;
        }
    }

    /// <summary>Forgets numbered messages the server has processed.</summary>
    private void Acknowledged(long through)
    {
        lock (_unacked)
        {
            while (_unacked.TryPeek(out var oldest) && oldest.ClientSeq <= through)
            {
                _unacked.Dequeue();
            }
        }
    }

    /// <summary>
    /// Called with the send gate held, before the new connection is published: after a resume, resends in order what
    /// the server had not processed; after a new session, forgets it (it belonged to the old session).
    /// </summary>
    private async Task ResendAsync(SignalingLink link, WelcomeMessage welcome, CancellationToken cancellationToken)
    {
        SignalingMessage[] resend;
        lock (_unacked)
        {
            if (!welcome.Resumed)
            {
                _unacked.Clear();
                _sessionEpoch++;
                return;
            }

            resend = [.. _unacked.Where(m => m.ClientSeq > (welcome.Ack ?? 0))];
        }

        Acknowledged(welcome.Ack ?? 0);
        foreach (var message in resend)
        {
            if (DropOutgoing?.Invoke(message) != true)
            {
                await link.SendAsync(message, cancellationToken).ConfigureAwait(false);
            }
        }

        if (resend.Length > 0)
        {
            ClientLog.Resent(_logger, resend.Length, welcome.Ack ?? 0);
        }
    }

    private void Accept(SignalingLink link, WelcomeMessage welcome)
    {
        SessionId = welcome.SessionId;
        IceServers = welcome.IceServers;
        _resumeToken = welcome.ResumeToken;
        if (!welcome.Resumed)
        {
            Volatile.Write(ref _lastSeq, welcome.Seq ?? 0);
        }

        _sinceAck = 0;
        Volatile.Write(ref _lastReceived, _timeProvider.GetTimestamp());
        State = SignalingClientState.Connected;
        ClientLog.Connected(_logger, welcome.SessionId, welcome.Resumed);
        lock (_gate)
        {
            if (!_linkReady.TrySetResult(link))
            {
                _linkReady = NewLinkSource();
                _linkReady.SetResult(link);
            }
        }
    }

    private void Unpublish(SignalingLink link)
    {
        lock (_gate)
        {
            if (_linkReady.Task.IsCompletedSuccessfully && _linkReady.Task.Result == link)
            {
                _linkReady = NewLinkSource();
            }
        }
    }

    private async Task RunAsync(SignalingLink link, WelcomeMessage welcome)
    {
        while (true)
        {
            using (var stopHeartbeat = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token))
            {
                var heartbeat = HeartbeatAsync(link, welcome, stopHeartbeat.Token);
                Exception? failure = null;
                try
                {
                    await ReceiveLoopAsync(link, _lifetime.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
                {
                    failure = e;
                }

                await stopHeartbeat.CancelAsync().ConfigureAwait(false);
                await heartbeat.ConfigureAwait(false);
                Unpublish(link);
                var closeStatus = link.CloseStatus;
                link.Dispose();
                if (_closing || _lifetime.IsCancellationRequested)
                {
                    return;
                }

                if (!_options.AutoReconnect || closeStatus is (WebSocketCloseStatus)SignalingCloseCodes.Unauthorized)
                {
                    ClientLog.Refused(_logger, closeStatus?.ToString() ?? "connection lost");
                    SetClosed();
                    return;
                }

                ClientLog.ConnectionLost(_logger, failure);
            }

            State = SignalingClientState.Reconnecting;
            var next = await ReconnectAsync().ConfigureAwait(false);
            if (next is null)
            {
                return;
            }

            (link, welcome) = next.Value;
        }
    }

    private async Task ReceiveLoopAsync(SignalingLink link, CancellationToken cancellationToken)
    {
        while (true)
        {
            SignalingMessage? message;
            try
            {
                message = await link.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SignalingProtocolException e)
            {
                ClientLog.BadServerMessage(_logger, e);
                continue;
            }

            if (message is null)
            {
                return;
            }

            Volatile.Write(ref _lastReceived, _timeProvider.GetTimestamp());
            switch (message)
            {
                case PingMessage:
                    await link.SendAsync(new PongMessage(LastSequence), cancellationToken).ConfigureAwait(false);
                    continue;
                case PongMessage pong:
                    if (pong.Ack is { } processed)
                    {
                        Acknowledged(processed);
                    }

                    continue;
                case WelcomeMessage:
                    continue;
            }

            // A resume replays only what is newer than lastSeq, so this drops nothing but guards against a server that repeats.
            if (message.Seq is not { } seq || seq <= LastSequence)
            {
                continue;
            }

            Volatile.Write(ref _lastSeq, seq);
            if (Interlocked.Increment(ref _sinceAck) >= _options.AckEvery)
            {
                Interlocked.Exchange(ref _sinceAck, 0);
                await link.SendAsync(new AckMessage(seq), cancellationToken).ConfigureAwait(false);
            }

            await DispatchAsync(message, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task DispatchAsync(SignalingMessage message, CancellationToken cancellationToken)
    {
        switch (message)
        {
            case JoinedMessage { Ref: { } id }:
                Answer(id, message);
                break;
            case LeftMessage { Ref: { } id }:
                Answer(id, message);
                break;
            case ErrorMessage error:
                if (error.Ref is { } errorRef)
                {
                    Answer(errorRef, message);
                }

                Raise(ErrorReceived, error);
                break;
            case SignalMessage signal:
                Raise(SignalReceived, signal);
                break;
            case PeerJoinedMessage joined:
                Raise(PeerJoined, joined);
                break;
            case PeerLeftMessage left:
                Raise(PeerLeft, left);
                break;
            case ExpiredMessage expired:
                Raise(SignalExpired, expired);
                break;
        }

        Channel<SignalingMessage>[] readers;
        lock (_readers)
        {
            readers = [.. _readers];
        }

        foreach (var reader in readers)
        {
            try
            {
                await reader.Writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                // That reader finished enumerating.
            }
        }
    }

    private void Answer(long id, SignalingMessage message)
    {
        if (_pending.TryGetValue(id, out var answer))
        {
            answer.TrySetResult(message);
        }
    }

    private void Raise<TMessage>(EventHandler<SignalingMessageEventArgs<TMessage>>? handler, TMessage message)
        where TMessage : SignalingMessage
    {
        try
        {
            handler?.Invoke(this, new SignalingMessageEventArgs<TMessage>(message));
        }
        catch (Exception e)
        {
            ClientLog.HandlerFailed(_logger, e);
        }
    }

    private async Task HeartbeatAsync(SignalingLink link, WelcomeMessage welcome, CancellationToken cancellationToken)
    {
        var idleTimeout = TimeSpan.FromMilliseconds(welcome.IdleTimeoutMilliseconds);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(welcome.HeartbeatMilliseconds), _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_timeProvider.GetElapsedTime(Volatile.Read(ref _lastReceived)) > idleTimeout)
                {
                    // The server went silent: assume the path is dead rather than wait for TCP to notice.
                    link.Abort();
                    return;
                }

                await link.SendAsync(new PingMessage(LastSequence), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The connection ended or the client is closing.
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException)
        {
            link.Abort();
        }
    }

    private async Task<(SignalingLink, WelcomeMessage)?> ReconnectAsync()
    {
        var delay = _options.ReconnectDelay;
        while (!_lifetime.IsCancellationRequested)
        {
            try
            {
                if (BeforeReconnect is { } gate)
                {
                    await gate(_lifetime.Token).ConfigureAwait(false);
                }

                await Task.Delay(delay, _timeProvider, _lifetime.Token).ConfigureAwait(false);
                var uri = await BuildUriAsync(resume: true, _lifetime.Token).ConfigureAwait(false);
                var (link, welcome) = await SignalingLink.OpenAsync(uri, _options, _lifetime.Token).ConfigureAwait(false);
                if (!welcome.Resumed)
                {
                    FailPending(new SignalingException("The session expired before the client could resume it."));
                }

                // The server has already replaced the token: a failure from here on must resume with the new one.
                _resumeToken = welcome.ResumeToken;
                await AcceptAfterResendAsync(link, welcome).ConfigureAwait(false);

                if (!welcome.Resumed)
                {
                    _ = Task.Run(RejoinAsync);
                }

                Reconnected?.Invoke(this, new SignalingReconnectedEventArgs(welcome.Resumed, welcome.SessionId));
                return (link, welcome);
            }
            catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
            {
                return null;
            }
            catch (SignalingException e) when (e.Code == SignalingErrorCode.Unauthorized)
            {
                ClientLog.Refused(_logger, e.Message);
                SetClosed();
                return null;
            }
            catch (Exception e) when (e is WebSocketException or IOException or SignalingException or SignalingProtocolException or OperationCanceledException or ObjectDisposedException)
            {
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
                ClientLog.ReconnectFailed(_logger, e, delay);
            }
        }

        return null;
    }

    /// <summary>Resends what the server missed, then publishes the connection, with the send gate held so no new message overtakes a resent one.</summary>
    private async Task AcceptAfterResendAsync(SignalingLink link, WelcomeMessage welcome)
    {
        try
        {
            await _sendGate.WaitAsync(_lifetime.Token).ConfigureAwait(false);
        }
        catch
        {
            link.Dispose();
            throw;
        }

        try
        {
            await ResendAsync(link, welcome, _lifetime.Token).ConfigureAwait(false);
            Accept(link, welcome);
        }
        catch
        {
            link.Dispose();
            throw;
        }
        finally
        {
            _sendGate.Release();
        }
    }

    private async Task RejoinAsync()
    {
        foreach (var join in _rooms.Values)
        {
            try
            {
                await JoinAsync(join.Room, join.Name, join.Metadata, _lifetime.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SignalingException or OperationCanceledException or TimeoutException)
            {
                ClientLog.RejoinFailed(_logger, e, join.Room);
            }
        }
    }

    private async ValueTask<Uri> BuildUriAsync(bool resume, CancellationToken cancellationToken)
    {
        var query = new List<string>();
        if (_options.AccessTokenProvider is { } provider && await provider(cancellationToken).ConfigureAwait(false) is { } token)
        {
            query.Add("access_token=" + Uri.EscapeDataString(token));
        }

        if (resume && _resumeToken is not null)
        {
            query.Add("resume=" + Uri.EscapeDataString(_resumeToken));
            query.Add("lastSeq=" + LastSequence.ToString(CultureInfo.InvariantCulture));
        }

        var builder = new UriBuilder(_options.ServerUri);
        var existing = builder.Query.TrimStart('?');
        builder.Query = string.Join('&', existing.Length > 0 ? query.Prepend(existing) : query);
        return builder.Uri;
    }

    private void FailPending(Exception exception)
    {
        foreach (var answer in _pending.Values)
        {
            answer.TrySetException(exception);
        }
    }

    private void SetClosed()
    {
        State = SignalingClientState.Closed;
        FailPending(new SignalingException("The client is closed."));
        lock (_gate)
        {
            if (!_linkReady.TrySetException(new SignalingException("The client is closed.")))
            {
                _linkReady = NewLinkSource();
                _linkReady.SetException(new SignalingException("The client is closed."));
            }
        }

        lock (_readers)
        {
            foreach (var reader in _readers)
            {
                reader.Writer.TryComplete();
            }

            _readers.Clear();
        }
    }

    private async IAsyncEnumerable<SignalingMessage> ReadAsync(
        Channel<SignalingMessage> channel, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return message;
            }
        }
        finally
        {
            channel.Writer.TryComplete();
            lock (_readers)
            {
                _readers.Remove(channel);
            }
        }
    }
}
