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
/// With a shared backplane (<see cref="ISharedSignalingBackplane"/>) the hub still owns its local sessions, but the
/// store numbers every sequenced message, so a session can move to another server with nothing lost or repeated,
/// and room membership lives there; <see cref="_rooms"/> then lists only local members, which is what the hub
/// needs to keep local delivery going while the store is unreachable.
/// The command channel is unbounded because the loop itself posts to it (backplane deliveries, expiry timers) and
/// must never wait on itself; what enters it from outside is bounded by the per-connection rate limit times
/// <see cref="SignalingOptions.MaxConnections"/>.
/// </remarks>
internal sealed class SignalingHub : IHostedService, IDisposable
{
    // A command posted while the loop waits runs on the poster's thread: a signal is then routed and written without
    // waking another thread, which on a busy two-core host is most of a signal's CPU (docs/configuration.md).
    private readonly Channel<HubCommand> _commands = Channel.CreateUnbounded<HubCommand>(new() { SingleReader = true, AllowSynchronousContinuations = true });
    private readonly Dictionary<string, SignalingSession> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SignalingSession> _byToken = new(StringComparer.Ordinal);
    private readonly Dictionary<ISignalingConnection, SignalingSession> _byConnection = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, SignalingRoom> _rooms = new(StringComparer.Ordinal);
    private readonly SignalingOptions _options;
    private readonly ISignalingBackplane _backplane;
    private readonly ISharedSignalingBackplane? _shared;
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
        _shared = backplane as ISharedSignalingBackplane;
        _metrics = metrics;
        _logger = logger;
        _timeProvider = timeProvider;
    }

    public void Post(HubCommand command) => _commands.Writer.TryWrite(command);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = _backplane.Subscribe(Post);
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

    private async Task RunAsync()
    {
        var reader = _commands.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var command))
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

            // What the commands just handled routed through the shared store goes out as one batch; under load the
            // queue rarely empties, and the backplane sends a full batch by itself.
            try
            {
                _shared?.Flush();
            }
            catch (Exception e)
            {
                SignalingLog.HubFailure(_logger, e, nameof(ISharedSignalingBackplane.Flush));
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
        RelayRefusedCommand c => _sessions.TryGetValue(c.SenderSessionId, out var sender) ? ReplyAsync(sender, c.Answer) : ValueTask.CompletedTask,
        MovedCommand c => Forget(c.SessionId),
        AdoptCommand c => AdoptAsync(c),
        ResyncCommand => ResyncAsync(),
        KeepAliveCommand => KeepAlive(),
        FlushCommand => ValueTask.CompletedTask,
        _ => throw new InvalidOperationException($"Unknown command {command.GetType()}."),
    };

    /// <summary>True when the shared store numbers messages and holds membership; false in memory or while it is unreachable.</summary>
    private bool SharedAvailable => _shared is { IsAvailable: true };

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
        _shared?.Register(session);
        SignalingLog.SessionStarted(_logger, id, session.UserId);
        command.Connection.Send(Welcome(session, resumed: false, command.IceServersFor(session.UserId)));
    }

    /// <summary>Moves a session onto a new connection and replays what the client has not seen; the reason when it cannot.</summary>
    private async ValueTask<string?> TryResumeAsync(AttachCommand command)
    {
        if (!_byToken.TryGetValue(command.ResumeToken!, out var session))
        {
            var claimed = SharedAvailable ? await _shared!.ClaimAsync(command.ResumeToken!, command.Principal.UserId).ConfigureAwait(false) : null;
            if (claimed is null)
            {
                return "unknown or expired resume token";
            }

            session = TakeOver(claimed);
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
        var previousToken = session.ResumeToken;
        _byToken.Remove(previousToken);
        session.ResumeToken = NewSecret(32);
        _byToken.Add(session.ResumeToken, session);
        _shared?.RotateToken(session, previousToken);
        AttachConnection(session, command.Connection);
        SignalingLog.SessionResumed(_logger, session.Id, command.LastSeq, session.UnackedCount);
        command.Connection.Send(Welcome(session, resumed: true, command.IceServersFor(session.UserId)));
        foreach (var held in session.Unacked)
        {
            command.Connection.Send(held.Message, held.Seq, held.RelayStart);
        }

        return null;
    }

    /// <summary>Makes a session another server held a local one, with its numbering, held messages and rooms.</summary>
    private SignalingSession TakeOver(SharedSessionState state)
    {
        var session = new SignalingSession(state.Id, state.UserId, state.Principal) { ResumeToken = state.ResumeToken };
        session.Restore(state.LastSeq, state.Held);
        session.ClientSeq = state.ClientSeq;
        foreach (var (roomId, appearance) in state.Rooms)
        {
            session.Rooms.Set(roomId, appearance);
            AddLocalMember(roomId, appearance);
        }

        _sessions.Add(session.Id, session);
        _byToken.Add(session.ResumeToken, session);
        _metrics.Sessions.Add(1);
        SignalingLog.SessionTakenOver(_logger, session.Id, session.UnackedCount);
        return session;
    }

    /// <summary>Drops a session another server took over: its rooms and peers carry on there, so nobody is told.</summary>
    private ValueTask Forget(string sessionId)
    {
        if (!_sessions.Remove(sessionId, out var session))
        {
            return ValueTask.CompletedTask;
        }

        _byToken.Remove(session.ResumeToken);
        session.ExpiryTimer?.Dispose();
        session.ExpiryTimer = null;
        if (session.Connection is { } connection)
        {
            _byConnection.Remove(connection);
            session.Connection = null;
            connection.Close(SignalingCloseCodes.Replaced, "session resumed on another server");
        }

        foreach (var roomId in session.Rooms)
        {
            RemoveLocalMember(roomId, session.Id);
        }

        _metrics.Sessions.Add(-1);
        return ValueTask.CompletedTask;
    }

    /// <summary>Holds a dead server's sessions as away here, so they can resume anywhere and otherwise expire with peer-left.</summary>
    private async ValueTask AdoptAsync(AdoptCommand command)
    {
        foreach (var id in command.SessionIds)
        {
            if (!SharedAvailable || _sessions.ContainsKey(id))
            {
                continue;
            }

            if (await _shared!.AdoptAsync(id, command.DeadServer).ConfigureAwait(false) is { } state)
            {
                await GoAwayAsync(TakeOver(state)).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask ResyncAsync()
    {
        if (SharedAvailable)
        {
            await _shared!.ResyncAsync(_sessions.Values).ConfigureAwait(false);
        }
    }

    private ValueTask KeepAlive()
    {
        if (SharedAvailable)
        {
            _shared!.KeepAlive(_sessions.Values);
        }

        return ValueTask.CompletedTask;
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

        if (SharedAvailable)
        {
            _shared!.End(session);
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
        if (message is SignalMessage { Ack: { } piggybacked })
        {
            // First, even for a resend about to be ignored: what the client has received is news either way.
            Acknowledge(session, piggybacked);
        }

        if (message is JoinMessage or LeaveMessage or SignalMessage && message.ClientSeq is { } clientSeq)
        {
            if (clientSeq <= session.ClientSeq)
            {
                // A resend of something already processed (the client could not know the first copy arrived).
                SignalingLog.DuplicateIgnored(_logger, session.Id, clientSeq, session.ClientSeq);
                return;
            }

            session.ClientSeq = clientSeq;
            if (SharedAvailable)
            {
                _shared!.RecordClientSeq(session.Id, clientSeq);
            }
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

    private void Acknowledge(SignalingSession session, long? through)
    {
        if (through is { } value)
        {
            var before = session.Acked;
            session.Acknowledge(value);
            if (session.Acked > before && SharedAvailable)
            {
                _shared!.Acknowledge(session.Id, session.Acked);
            }
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

        var already = session.Rooms.TryGet(join.Room, out var appearance);
        if (!already && session.Rooms.Count >= _options.MaxRoomsPerSession)
        {
            await ReplyAsync(session, Error(SignalingErrorCode.LimitExceeded, $"A session may be in at most {_options.MaxRoomsPerSession} rooms.")).ConfigureAwait(false);
            return;
        }

        var me = already ? appearance : new PeerInfo(session.Id, session.UserId, join.Name, join.Metadata);
        RoomJoinResult result;
        if (_shared is null)
        {
            result = JoinLocal(join.Room, me);
        }
        else
        {
            try
            {
                // A join needs the whole room, which only the shared store knows.
                result = SharedAvailable
                    ? await _shared.JoinRoomAsync(join.Room, me, _options.MaxMembersPerRoom, _options.MaxRooms).ConfigureAwait(false)
                    : throw new SignalingBackplaneUnavailableException("The shared store is unreachable.");
            }
            catch (SignalingBackplaneUnavailableException)
            {
                await ReplyAsync(session, Error(SignalingErrorCode.Unavailable, "The server cannot reach its shared state; try again shortly.")).ConfigureAwait(false);
                return;
            }

            if (result.Error is null && !result.AlreadyMember)
            {
                AddLocalMember(join.Room, me);
            }
        }

        switch (result.Error)
        {
            case SignalingErrorCode.RoomFull:
                await ReplyAsync(session, Error(SignalingErrorCode.RoomFull, $"Room '{join.Room}' has its maximum of {_options.MaxMembersPerRoom} members.")).ConfigureAwait(false);
                return;
            case { } code:
                await ReplyAsync(session, Error(code, "The server has its maximum number of rooms.")).ConfigureAwait(false);
                return;
        }

        session.Rooms.Set(join.Room, me);
        await ReplyAsync(session, new JoinedMessage(join.Room, result.Others) { Ref = join.Id }).ConfigureAwait(false);
        if (!result.AlreadyMember)
        {
            foreach (var member in result.Others)
            {
                await PublishAsync(new SignalingDelivery(member.Id, new PeerJoinedMessage(join.Room, me))).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Joins a room this server alone holds.</summary>
    private RoomJoinResult JoinLocal(string roomId, PeerInfo me)
    {
        _rooms.TryGetValue(roomId, out var room);
        if (room is not null && room.Contains(me.Id))
        {
            return new RoomJoinResult(null, true, room.Members.Where(m => m.Id != me.Id).ToList());
        }

        if (room is null && _rooms.Count >= _options.MaxRooms)
        {
            return new RoomJoinResult(SignalingErrorCode.LimitExceeded, false, []);
        }

        if (room is not null && room.Count >= _options.MaxMembersPerRoom)
        {
            return new RoomJoinResult(SignalingErrorCode.RoomFull, false, []);
        }

        var existing = room?.Members.ToList() ?? [];
        AddLocalMember(roomId, me);
        return new RoomJoinResult(null, false, existing);
    }

    private void AddLocalMember(string roomId, PeerInfo member)
    {
        if (!_rooms.TryGetValue(roomId, out var room))
        {
            room = new SignalingRoom(roomId);
            _rooms.Add(roomId, room);
            _metrics.Rooms.Add(1);
        }

        if (!room.Contains(member.Id))
        {
            room.Add(member);
        }
    }

    private void RemoveLocalMember(string roomId, string sessionId)
    {
        if (_rooms.TryGetValue(roomId, out var room))
        {
            room.Remove(sessionId);
            if (room.Count == 0)
            {
                _rooms.Remove(roomId);
                _metrics.Rooms.Add(-1);
            }
        }
    }

    private async ValueTask LeaveRoomAsync(SignalingSession session, string roomId, PeerLeftReason reason)
    {
        session.Rooms.Remove(roomId);
        RemoveLocalMember(roomId, session.Id);
        IReadOnlyList<string> others = _rooms.TryGetValue(roomId, out var room) ? room.Members.Select(m => m.Id).ToList() : [];
        if (SharedAvailable)
        {
            try
            {
                others = await _shared!.LeaveRoomAsync(roomId, session.Id).ConfigureAwait(false);
            }
            catch (SignalingBackplaneUnavailableException)
            {
                // Members on this server still hear of it; the others cannot be reached now.
            }
        }

        foreach (var member in others)
        {
            await PublishAsync(new SignalingDelivery(member, new PeerLeftMessage(roomId, session.Id, reason))).ConfigureAwait(false);
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

        var relayed = signal with { From = session.Id, To = null, Id = null, Ack = null, Seq = null, ClientSeq = null };
        var delivery = new SignalingDelivery(signal.To, relayed, session.Id, signal.Id, receivedAt);
        if (SharedAvailable)
        {
            // The store checks the target and the shared room as it routes; a refusal comes back as a command.
            _shared!.Route(delivery, session.Rooms);
            return;
        }

        if (!_sessions.TryGetValue(signal.To, out var target))
        {
            await ReplyAsync(session, _shared is null
                ? Error(SignalingErrorCode.UnknownPeer, $"No peer '{signal.To}'.")
                : Error(SignalingErrorCode.Unavailable, $"No peer '{signal.To}' on this server, and the others cannot be reached now.")).ConfigureAwait(false);
            return;
        }

        if (!session.Rooms.SharesAnyWith(target.Rooms))
        {
            await ReplyAsync(session, Error(SignalingErrorCode.NotInRoom, $"You share no room with '{signal.To}'.")).ConfigureAwait(false);
            return;
        }

        await PublishAsync(delivery).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a message to any session: through the backplane, or — while the shared store is unreachable — straight
    /// to a local session (others cannot be reached and are skipped).
    /// </summary>
    private ValueTask PublishAsync(SignalingDelivery delivery)
    {
        if (_shared is null)
        {
            return _backplane.PublishAsync(delivery, CancellationToken.None);
        }

        if (_shared.IsAvailable)
        {
            _shared.Route(delivery);
            return ValueTask.CompletedTask;
        }

        return _sessions.ContainsKey(delivery.TargetSessionId) ? DeliverAsync(delivery) : ValueTask.CompletedTask;
    }

    private async ValueTask DeliverAsync(SignalingDelivery delivery)
    {
        if (_sessions.TryGetValue(delivery.TargetSessionId, out var session))
        {
            if (delivery.Seq is { } seq)
            {
                if (seq <= session.LastSeq)
                {
                    // Already held: it came with the session when this server took it over.
                    return;
                }

                if (seq > session.LastSeq + 1 && SharedAvailable)
                {
                    await FillGapAsync(session, seq - 1).ConfigureAwait(false);
                }
            }

            await HoldAsync(session, delivery.Message, delivery.SenderSessionId, delivery.SenderRef, delivery.RelayStart, delivery.Seq).ConfigureAwait(false);
        }
        else if (_shared is null && delivery.Message is SignalMessage signal && delivery.SenderSessionId is not null)
        {
            var notice = new ExpiredMessage(delivery.TargetSessionId, signal.Kind) { Ref = delivery.SenderRef };
            await PublishAsync(new SignalingDelivery(delivery.SenderSessionId, notice)).ConfigureAwait(false);
        }
    }

    /// <summary>Fetches messages the store numbered for the session that never reached this server (a lost pub/sub message).</summary>
    private async ValueTask FillGapAsync(SignalingSession session, long through)
    {
        try
        {
            foreach (var held in await _shared!.ReadHeldAsync(session.Id, session.LastSeq, through).ConfigureAwait(false))
            {
                await HoldAsync(session, held.Message, held.SenderSessionId, held.SenderRef, held.RelayStart, held.Seq).ConfigureAwait(false);
            }
        }
        catch (SignalingBackplaneUnavailableException)
        {
            // What is missing stays in the store; a takeover after a reconnect replays it.
        }
    }

    private ValueTask ReplyAsync(SignalingSession session, SignalingMessage message)
    {
        if (message is ErrorMessage error)
        {
            _metrics.Errors.Add(1, new KeyValuePair<string, object?>("code", error.Code.ToString()));
        }

        if (SharedAvailable)
        {
            // The store numbers every message of a session, so that numbering survives a move to another server.
            _shared!.Route(new SignalingDelivery(session.Id, message));
            return ValueTask.CompletedTask;
        }

        return HoldAsync(session, message, null, null, 0, null);
    }

    /// <summary>
    /// Sequences, holds and (when connected) sends a message. A connected client that leaves more than
    /// <see cref="SignalingOptions.MaxUnackedMessages"/> unacknowledged loses its connection and may resume; an
    /// away session that overflows ends, and the senders of what it held hear that their signals expired.
    /// </summary>
    private async ValueTask HoldAsync(SignalingSession session, SignalingMessage message, string? sender, long? senderRef, long relayStart, long? seq)
    {
        var held = session.Hold(message, sender, senderRef, relayStart, seq);
        if (session.UnackedCount <= _options.MaxUnackedMessages)
        {
            session.Connection?.Send(held.Message, held.Seq, relayStart);
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
