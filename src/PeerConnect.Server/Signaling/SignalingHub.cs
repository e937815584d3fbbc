using System.Buffers.Text;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Server.Signaling;

/// <summary>
/// The one owner of sessions and rooms: a single loop takes <see cref="HubCommand"/>s from a channel, so session and
/// room state needs no locks and every member of a room sees events in the same order. Connections only queue
/// commands and frames; they never touch this state.
/// </summary>
/// <remarks>
/// The command channel is unbounded because the loop itself posts to it (backplane deliveries, expiry timers) and
/// must never wait on itself; what enters it from outside is bounded by the per-connection rate limit times
/// <see cref="SignalingOptions.MaxConnections"/>.
/// </remarks>
internal sealed class SignalingHub : IHostedService, IDisposable
{
    private readonly Channel<HubCommand> _commands = Channel.CreateUnbounded<HubCommand>(new() { SingleReader = true });
    private readonly Dictionary<string, SignalingSession> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SignalingSession> _byToken = new(StringComparer.Ordinal);
    private readonly Dictionary<ISignalingConnection, SignalingSession> _byConnection = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, SignalingRoom> _rooms = new(StringComparer.Ordinal);
    private readonly SignalingOptions _options;
    private readonly ISignalingBackplane _backplane;
    private readonly SignalingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private IDisposable? _subscription;
    private Task? _loop;

    public SignalingHub(
        IOptions<SignalingOptions> options,
        ISignalingBackplane backplane,
        SignalingMetrics metrics,
        ILogger<SignalingHub> logger,
        TimeProvider timeProvider)
    {
        _options = options.Value;
        _backplane = backplane;
        _metrics = metrics;
        _logger = logger;
        _timeProvider = timeProvider;
    }

    public void Post(HubCommand command) => _commands.Writer.TryWrite(command);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = _backplane.Subscribe(delivery =>
        {
            Post(new DeliverCommand(delivery));
            return ValueTask.CompletedTask;
        });
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _commands.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var connection in _byConnection.Keys)
        {
            connection.Close(SignalingCloseCodes.GoingAway, "server shutting down");
        }
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        foreach (var session in _sessions.Values)
        {
            session.ExpiryTimer?.Dispose();
        }
    }

    /// <summary>Runs the commands queued so far on the caller; for tests that step the hub without its loop.</summary>
    internal async Task ProcessPendingAsync()
    {
        while (_commands.Reader.TryRead(out var command))
        {
            await HandleAsync(command).ConfigureAwait(false);
        }
    }

    private async Task RunAsync()
    {
        await foreach (var command in _commands.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await HandleAsync(command).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                SignalingLog.HubFailure(_logger, e, command.GetType().Name);
            }
        }
    }

    private ValueTask HandleAsync(HubCommand command) => command switch
    {
        AttachCommand c => AttachAsync(c),
        InboundCommand c => InboundAsync(c),
        RejectCommand c => RejectAsync(c),
        DetachCommand c => DetachAsync(c),
        DeliverCommand c => DeliverAsync(c.Delivery),
        ExpireCommand c => ExpireAsync(c),
        _ => throw new InvalidOperationException($"Unknown command {command.GetType()}."),
    };

    private async ValueTask RejectAsync(RejectCommand command)
    {
        if (_byConnection.TryGetValue(command.Connection, out var session))
        {
            await ReplyAsync(session, command.Error).ConfigureAwait(false);
        }

        if (command.CloseStatus is { } status)
        {
            command.Connection.Close(status, command.CloseReason ?? "");
        }
    }

    private async ValueTask AttachAsync(AttachCommand command)
    {
        if (command.ResumeToken is not null)
        {
            var refusal = await TryResumeAsync(command).ConfigureAwait(false);
            if (refusal is null)
            {
                _metrics.Resumes.Add(1, new KeyValuePair<string, object?>("result", "resumed"));
                return;
            }

            _metrics.Resumes.Add(1, new KeyValuePair<string, object?>("result", "failed"));
            SignalingLog.ResumeRefused(_logger, refusal);
        }

        var id = NewSecret(16);
        var session = new SignalingSession(id, command.Principal.UserId ?? id, command.Principal) { ResumeToken = NewSecret(32) };
        _sessions.Add(id, session);
        _byToken.Add(session.ResumeToken, session);
        AttachConnection(session, command.Connection);
        _metrics.Sessions.Add(1);
        SignalingLog.SessionStarted(_logger, id, session.UserId);
        command.Connection.Send(Welcome(session, resumed: false, command.IceServersFor(session.UserId)));
    }

    /// <summary>Moves a session onto a new connection and replays what the client has not seen; the reason when it cannot.</summary>
    private async ValueTask<string?> TryResumeAsync(AttachCommand command)
    {
        if (!_byToken.TryGetValue(command.ResumeToken!, out var session))
        {
            return "unknown or expired resume token";
        }

        if (session.Principal.UserId != command.Principal.UserId)
        {
            return "the token's user differs from the session's";
        }

        if (command.LastSeq < session.Acked || command.LastSeq > session.LastSeq)
        {
            // The client's view cannot be reconciled with what was held, so neither side can trust the session.
            await EndSessionAsync(session, PeerLeftReason.Expired).ConfigureAwait(false);
            return $"last sequence {command.LastSeq} is outside {session.Acked}..{session.LastSeq}";
        }

        if (session.Connection is { } previous)
        {
            _byConnection.Remove(previous);
            previous.Close(SignalingCloseCodes.Replaced, "session resumed on another connection");
        }

        session.ExpiryTimer?.Dispose();
        session.ExpiryTimer = null;
        session.Acknowledge(command.LastSeq);
        _byToken.Remove(session.ResumeToken);
        session.ResumeToken = NewSecret(32);
        _byToken.Add(session.ResumeToken, session);
        AttachConnection(session, command.Connection);
        SignalingLog.SessionResumed(_logger, session.Id, command.LastSeq, session.UnackedCount);
        command.Connection.Send(Welcome(session, resumed: true, command.IceServersFor(session.UserId)));
        foreach (var held in session.Unacked)
        {
            command.Connection.Send(held.Message, held.RelayStart);
        }

        return null;
    }

    private void AttachConnection(SignalingSession session, ISignalingConnection connection)
    {
        session.Connection = connection;
        _byConnection.Add(connection, session);
    }

    private WelcomeMessage Welcome(SignalingSession session, bool resumed, IReadOnlyList<IceServerInfo> iceServers) =>
        new WelcomeMessage(
            session.Id,
            session.ResumeToken,
            resumed,
            (long)_options.HeartbeatInterval.TotalMilliseconds,
            (long)_options.IdleTimeout.TotalMilliseconds,
            (long)_options.ResumeWindow.TotalMilliseconds,
            _options.MaxMessageBytes,
            iceServers) { Seq = session.LastSeq, Ack = ClientAck(session) };

    /// <summary>What <c>welcome</c> and <c>pong</c> carry as <c>ack</c>: absent until the client numbers a message, so clients that do not see no change.</summary>
    private static long? ClientAck(SignalingSession session) => session.ClientSeq > 0 ? session.ClientSeq : null;

    private async ValueTask DetachAsync(DetachCommand command)
    {
        if (!_byConnection.Remove(command.Connection, out var session))
        {
            return;
        }

        session.Connection = null;
        if (command.EndSession)
        {
            await EndSessionAsync(session, PeerLeftReason.Closed).ConfigureAwait(false);
        }
        else
        {
            await GoAwayAsync(session).ConfigureAwait(false);
        }
    }

    private async ValueTask GoAwayAsync(SignalingSession session)
    {
        if (_options.ResumeWindow == TimeSpan.Zero)
        {
            await EndSessionAsync(session, PeerLeftReason.Expired).ConfigureAwait(false);
            return;
        }

        var generation = ++session.AwayGeneration;
        session.ExpiryTimer?.Dispose();
        session.ExpiryTimer = _timeProvider.CreateTimer(
            _ => Post(new ExpireCommand(session, generation)), null, _options.ResumeWindow, Timeout.InfiniteTimeSpan);
        SignalingLog.SessionAway(_logger, session.Id, _options.ResumeWindow);
    }

    private async ValueTask ExpireAsync(ExpireCommand command)
    {
        var session = command.Session;
        if (session.Connection is null && session.AwayGeneration == command.AwayGeneration
            && _sessions.TryGetValue(session.Id, out var current) && current == session)
        {
            await EndSessionAsync(session, PeerLeftReason.Expired).ConfigureAwait(false);
        }
    }

    private async ValueTask EndSessionAsync(SignalingSession session, PeerLeftReason reason)
    {
        if (!_sessions.Remove(session.Id))
        {
            return;
        }

        _byToken.Remove(session.ResumeToken);
        session.ExpiryTimer?.Dispose();
        session.ExpiryTimer = null;
        if (session.Connection is { } connection)
        {
            _byConnection.Remove(connection);
            session.Connection = null;
            connection.Close(SignalingCloseCodes.Normal, "session ended");
        }

        foreach (var room in session.Rooms.ToList())
        {
            await LeaveRoomAsync(session, room, reason).ConfigureAwait(false);
        }

        foreach (var held in session.Unacked)
        {
            if (held.Message is SignalMessage signal && held.SenderSessionId is not null)
            {
                var notice = new ExpiredMessage(session.Id, signal.Kind) { Ref = held.SenderRef };
                await PublishAsync(new SignalingDelivery(held.SenderSessionId, notice)).ConfigureAwait(false);
            }
        }

        _metrics.Sessions.Add(-1);
        SignalingLog.SessionEnded(_logger, session.Id, reason.ToString());
    }

    private async ValueTask InboundAsync(InboundCommand command)
    {
        if (!_byConnection.TryGetValue(command.Connection, out var session))
        {
            return;
        }

        var message = command.Message;
        _metrics.MessagesReceived.Add(1, new KeyValuePair<string, object?>("type", message.Type));
        if (message is JoinMessage or LeaveMessage or SignalMessage && message.ClientSeq is { } clientSeq)
        {
            if (clientSeq <= session.ClientSeq)
            {
                // A resend of something already processed (the client could not know the first copy arrived).
                SignalingLog.DuplicateIgnored(_logger, session.Id, clientSeq, session.ClientSeq);
                return;
            }

            session.ClientSeq = clientSeq;
        }

        switch (message)
        {
            case PingMessage ping:
                Acknowledge(session, ping.Ack);
                command.Connection.Send(new PongMessage(ClientAck(session)) { Seq = session.LastSeq });
                break;
            case PongMessage pong:
                Acknowledge(session, pong.Ack);
                break;
            case AckMessage ack:
                Acknowledge(session, ack.Through);
                break;
            case JoinMessage join:
                await JoinAsync(session, join).ConfigureAwait(false);
                break;
            case LeaveMessage leave:
                if (!session.Rooms.Contains(leave.Room))
                {
                    await ReplyAsync(session, new ErrorMessage(SignalingErrorCode.NotInRoom, $"Not in room '{leave.Room}'.") { Ref = leave.Id }).ConfigureAwait(false);
                    break;
                }

                await LeaveRoomAsync(session, leave.Room, PeerLeftReason.Left).ConfigureAwait(false);
                await ReplyAsync(session, new LeftMessage(leave.Room) { Ref = leave.Id }).ConfigureAwait(false);
                break;
            case SignalMessage signal:
                await RelayAsync(session, signal, command.ReceivedAt).ConfigureAwait(false);
                break;
            default:
                await ReplyAsync(session, new ErrorMessage(SignalingErrorCode.BadMessage, $"'{message.Type}' is not a client message.")).ConfigureAwait(false);
                break;
        }
    }

    private static void Acknowledge(SignalingSession session, long? through)
    {
        if (through is { } value)
        {
            session.Acknowledge(value);
        }
    }

    private async ValueTask JoinAsync(SignalingSession session, JoinMessage join)
    {
        ErrorMessage Error(SignalingErrorCode code, string text) => new(code, text) { Ref = join.Id };

        if (!session.Principal.MayJoin(join.Room))
        {
            await ReplyAsync(session, Error(SignalingErrorCode.Unauthorized, $"The token does not allow room '{join.Room}'.")).ConfigureAwait(false);
            return;
        }

        _rooms.TryGetValue(join.Room, out var room);
        if (room is not null && session.Rooms.Contains(join.Room))
        {
            var others = room.Members.Where(m => m.Id != session.Id).ToList();
            await ReplyAsync(session, new JoinedMessage(join.Room, others) { Ref = join.Id }).ConfigureAwait(false);
            return;
        }

        if (session.Rooms.Count >= _options.MaxRoomsPerSession)
        {
            await ReplyAsync(session, Error(SignalingErrorCode.LimitExceeded, $"A session may be in at most {_options.MaxRoomsPerSession} rooms.")).ConfigureAwait(false);
            return;
        }

        if (room is null)
        {
            if (_rooms.Count >= _options.MaxRooms)
            {
                await ReplyAsync(session, Error(SignalingErrorCode.LimitExceeded, "The server has its maximum number of rooms.")).ConfigureAwait(false);
                return;
            }

            room = new SignalingRoom(join.Room);
            _rooms.Add(room.Id, room);
            _metrics.Rooms.Add(1);
        }

        if (room.Count >= _options.MaxMembersPerRoom)
        {
            await ReplyAsync(session, Error(SignalingErrorCode.RoomFull, $"Room '{join.Room}' has its maximum of {_options.MaxMembersPerRoom} members.")).ConfigureAwait(false);
            return;
        }

        var existing = room.Members.ToList();
        var me = new PeerInfo(session.Id, session.UserId, join.Name, join.Metadata);
        room.Add(me);
        session.Rooms.Add(room.Id);
        await ReplyAsync(session, new JoinedMessage(room.Id, existing) { Ref = join.Id }).ConfigureAwait(false);
        foreach (var member in existing)
        {
            await PublishAsync(new SignalingDelivery(member.Id, new PeerJoinedMessage(room.Id, me))).ConfigureAwait(false);
        }
    }

    private async ValueTask LeaveRoomAsync(SignalingSession session, string roomId, PeerLeftReason reason)
    {
        session.Rooms.Remove(roomId);
        if (!_rooms.TryGetValue(roomId, out var room))
        {
            return;
        }

        room.Remove(session.Id);
        if (room.Count == 0)
        {
            _rooms.Remove(roomId);
            _metrics.Rooms.Add(-1);
            return;
        }

        foreach (var member in room.Members)
        {
            await PublishAsync(new SignalingDelivery(member.Id, new PeerLeftMessage(roomId, session.Id, reason))).ConfigureAwait(false);
        }
    }

    private async ValueTask RelayAsync(SignalingSession session, SignalMessage signal, long receivedAt)
    {
        ErrorMessage Error(SignalingErrorCode code, string text) => new(code, text) { Ref = signal.Id };

        if (signal.From is not null)
        {
            await ReplyAsync(session, Error(SignalingErrorCode.BadMessage, "'from' is set by the server; a client must not send it.")).ConfigureAwait(false);
            return;
        }

        if (signal.To is null || signal.To == session.Id)
        {
            await ReplyAsync(session, Error(SignalingErrorCode.BadMessage, "'to' must name another peer.")).ConfigureAwait(false);
            return;
        }

        if (!_sessions.TryGetValue(signal.To, out var target))
        {
            await ReplyAsync(session, Error(SignalingErrorCode.UnknownPeer, $"No peer '{signal.To}'.")).ConfigureAwait(false);
            return;
        }

        if (!session.Rooms.Overlaps(target.Rooms))
        {
            await ReplyAsync(session, Error(SignalingErrorCode.NotInRoom, $"You share no room with '{signal.To}'.")).ConfigureAwait(false);
            return;
        }

        var relayed = signal with { From = session.Id, To = null, Id = null, Seq = null, ClientSeq = null };
        await PublishAsync(new SignalingDelivery(target.Id, relayed, session.Id, signal.Id, receivedAt)).ConfigureAwait(false);
    }

    private ValueTask PublishAsync(SignalingDelivery delivery) => _backplane.PublishAsync(delivery, CancellationToken.None);

    private async ValueTask DeliverAsync(SignalingDelivery delivery)
    {
        if (_sessions.TryGetValue(delivery.TargetSessionId, out var session))
        {
            await SendAsync(session, delivery.Message, delivery.SenderSessionId, delivery.SenderRef, delivery.RelayStart).ConfigureAwait(false);
        }
        else if (delivery.Message is SignalMessage signal && delivery.SenderSessionId is not null)
        {
            var notice = new ExpiredMessage(delivery.TargetSessionId, signal.Kind) { Ref = delivery.SenderRef };
            await PublishAsync(new SignalingDelivery(delivery.SenderSessionId, notice)).ConfigureAwait(false);
        }
    }

    private ValueTask ReplyAsync(SignalingSession session, SignalingMessage message)
    {
        if (message is ErrorMessage error)
        {
            _metrics.Errors.Add(1, new KeyValuePair<string, object?>("code", error.Code.ToString()));
        }

        return SendAsync(session, message, null, null, 0);
    }

    /// <summary>
    /// Sequences, holds and (when connected) sends a message. A connected client that leaves more than
    /// <see cref="SignalingOptions.MaxUnackedMessages"/> unacknowledged loses its connection and may resume; an
    /// away session that overflows ends, and the senders of what it held hear that their signals expired.
    /// </summary>
    private async ValueTask SendAsync(SignalingSession session, SignalingMessage message, string? sender, long? senderRef, long relayStart)
    {
        var held = session.Hold(message, sender, senderRef, relayStart);
        if (session.UnackedCount <= _options.MaxUnackedMessages)
        {
            session.Connection?.Send(held.Message, relayStart);
            return;
        }

        if (session.Connection is { } connection)
        {
            _byConnection.Remove(connection);
            session.Connection = null;
            connection.Close(SignalingCloseCodes.Backlog, "too many unacknowledged messages");
            await GoAwayAsync(session).ConfigureAwait(false);
        }
        else
        {
            await EndSessionAsync(session, PeerLeftReason.Expired).ConfigureAwait(false);
        }
    }

    private static string NewSecret(int bytes) => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(bytes));
}
