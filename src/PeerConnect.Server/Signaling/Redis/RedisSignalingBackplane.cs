using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using PeerConnect.Signaling.Protocol;
using StackExchange.Redis;

namespace PeerConnect.Server.Signaling.Redis;

/// <summary>
/// The shared backplane on Redis (<c>PeerConnect:Signaling:Redis</c>). Scripts number, store and route each message
/// in one step (<see cref="RedisScripts"/>); each server listens on its own pub/sub channel; a presence key with
/// expiry per server lets the others notice it died and adopt its sessions.
/// </summary>
/// <remarks>
/// Commands the hub issues without waiting go out on one connection in the order issued, which keeps a session's
/// messages in order. The subscription is read through a <see cref="ChannelMessageQueue"/>, which hands messages over
/// one at a time in arrival order.
/// </remarks>
internal sealed class RedisSignalingBackplane : ISharedSignalingBackplane, IDisposable
{
    /// <summary>Deliveries per script call at most, so one call never holds Redis for long.</summary>
    private const int MaxBatch = 64;

    private readonly SignalingOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly RedisChannel _channel;
    private readonly TimeSpan _keyLifetime;
    private readonly ITimer _presenceTimer;
    private readonly Lock _subscribeGate = new();

    // Routes waiting for the next flush: their script arguments, and per delivery the relayed signal whose refusal
    // the sender must hear (null for the others); the acknowledgements that go in the same call; then the client
    // sequence marks to write after them.
    private readonly List<RedisValue> _batch = [];
    private readonly List<SignalingDelivery?> _batched = [];
    private readonly Dictionary<string, long> _clientSeqs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _acks = new(StringComparer.Ordinal);
    private Action<HubCommand>? _post;

    // Routing calls sent and not yet answered. The hub's flush waits while one is out; its answer flushes what the
    // hub routed meanwhile as one batch (see Flush).
    private int _routing;
    private ChannelMessageQueue? _queue;
    private volatile bool _available;
    private int _ticks;

    public RedisSignalingBackplane(IOptions<SignalingOptions> options, ILogger<RedisSignalingBackplane> logger, TimeProvider timeProvider)
    {
        _options = options.Value;
        _logger = logger;
        _timeProvider = timeProvider;
        ServerId = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(9));
        _channel = RedisChannel.Literal("pc:ch:" + ServerId);

        // Long enough that a session outlives its server's death by the presence timeout and the resume window.
        _keyLifetime = 2 * (_options.PresenceTimeout + _options.ResumeWindow) + TimeSpan.FromMinutes(1);
        var configuration = ConfigurationOptions.Parse(_options.Redis!);
        configuration.AbortOnConnectFail = false;

        // Come back soon after Redis does: until then no server admits joins.
        configuration.ReconnectRetryPolicy ??= new ExponentialRetry(250, 2000);
        configuration.ClientName ??= "peerconnect-" + ServerId;
        _redis = ConnectionMultiplexer.Connect(configuration);
        _db = _redis.GetDatabase();
        _redis.ConnectionFailed += OnConnectionFailed;
        _redis.ConnectionRestored += OnConnectionRestored;
        _available = _redis.IsConnected;
        _presenceTimer = _timeProvider.CreateTimer(_ => _ = TickAsync(), null, TimeSpan.Zero, _options.PresenceTimeout / 3);
    }

    /// <summary>This server's id in the shared store.</summary>
    public string ServerId { get; }

    public bool IsAvailable => _available;


    public ValueTask PublishAsync(SignalingDelivery delivery, CancellationToken cancellationToken)
    {
        Route(delivery);
        return ValueTask.CompletedTask;
    }

    public IDisposable Subscribe(Action<HubCommand> post)
    {
        if (Interlocked.CompareExchange(ref _post, post, null) is not null)
        {
            throw new InvalidOperationException("A backplane serves one hub.");
        }

        _ = EnsureSubscribedAsync();
        return new Subscription(this);
    }

    public void Register(SignalingSession session)
    {
        SendBatch();
        if (_available)
        {
            Fire("register", _db.ScriptEvaluateAsync(RedisScripts.Resync, values: SessionArguments(session, [])));
        }
    }

    public void RotateToken(SignalingSession session, string previousToken)
    {
        SendBatch();
        if (!_available)
        {
            return;
        }

        Fire("rotate", _db.KeyDeleteAsync("pc:t:" + previousToken, CommandFlags.FireAndForget));
        Fire("rotate", _db.StringSetAsync("pc:t:" + session.ResumeToken, session.Id, _keyLifetime, flags: CommandFlags.FireAndForget));
        Fire("rotate", _db.HashSetAsync("pc:s:" + session.Id, "tok", session.ResumeToken, flags: CommandFlags.FireAndForget));
    }

    public void RecordClientSeq(string sessionId, long clientSeq)
    {
        if (_available)
        {
            // Written with the next flush, after the route of the message that carried it.
            _clientSeqs[sessionId] = clientSeq;
        }
    }

    /// <remarks>
    /// Written with the next flush, every session's in the routing script's call: clients that acknowledge on each
    /// signal would otherwise cost a call per relayed message. Needs no order against the routes (what the client
    /// acknowledges it has seen, so the store numbered it already), and one lost with this server only means a resume
    /// elsewhere replays messages the client has, which it drops by their sequence numbers.
    /// </remarks>
    public void Acknowledge(string sessionId, long through)
    {
        if (_available)
        {
            _acks[sessionId] = Math.Max(through, _acks.GetValueOrDefault(sessionId));
        }
    }

    public void Route(SignalingDelivery delivery, SessionRooms? senderRooms = null)
    {
        _batch.Add(delivery.TargetSessionId);
        _batch.Add(RedisRecords.Envelope(delivery));
        if (senderRooms is null)
        {
            _batch.Add(-1);
        }
        else
        {
            _batch.Add(senderRooms.Count);
            foreach (var room in senderRooms)
            {
                _batch.Add(room);
            }
        }

        _batched.Add(senderRooms is not null && delivery.SenderSessionId is not null ? delivery : null);
        if (_batched.Count >= MaxBatch)
        {
            SendBatch();
        }
    }

    /// <remarks>
    /// Sends at once unless a routing call is still out; then its answer brings a <see cref="FlushCommand"/> and
    /// everything routed meanwhile goes in the next call. At 10,000 signals/s the hub's queue seldom holds more than
    /// the signal in hand, so flushing each time it empties made one script call per signal, and StackExchange.Redis
    /// wakes threads for every call; waiting for the answer lets the batch grow with the load. When the signals are
    /// further apart than a call's round trip (a fraction of a millisecond on one host), nothing waits.
    /// </remarks>
    public void Flush()
    {
        if (Volatile.Read(ref _routing) == 0)
        {
            SendBatch();
        }
    }

    /// <summary>Sends the batched routes and acknowledgements now, then the client sequence marks.</summary>
    private void SendBatch()
    {
        if (_batched.Count > 0 || _acks.Count > 0)
        {
            var values = new RedisValue[2 + 2 * _acks.Count + _batch.Count];
            values[0] = _options.MaxUnackedMessages;
            values[1] = _acks.Count;
            var i = 2;
            foreach (var (sessionId, through) in _acks)
            {
                values[i++] = sessionId;
                values[i++] = through;
            }

            _batch.CopyTo(values, i);
            var refusable = _batched.Exists(delivery => delivery is not null) ? _batched.ToArray() : null;
            _batch.Clear();
            _batched.Clear();
            _acks.Clear();
            Interlocked.Increment(ref _routing);
            _ = _db.ScriptEvaluateAsync(RedisScripts.Route, values: values).ContinueWith(
                static (routed, state) =>
                {
                    var (owner, refusable) = ((RedisSignalingBackplane, SignalingDelivery?[]?))state!;
                    owner.OnRouted(routed, refusable);
                },
                (this, refusable),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        // After the routes: a takeover must not skip a resend of a signal the store never numbered.
        foreach (var (sessionId, clientSeq) in _clientSeqs)
        {
            Fire("cseq", _db.HashSetAsync("pc:s:" + sessionId, "cseq", clientSeq, flags: CommandFlags.FireAndForget));
        }

        _clientSeqs.Clear();
    }

    private void OnRouted(Task<RedisResult> routed, SignalingDelivery?[]? refusable)
    {
        if (refusable is not null)
        {
            ReportRefusals(routed, refusable);
        }
        else if (routed.IsFaulted)
        {
            SignalingLog.BackplaneOperationFailed(_logger, routed.Exception!.GetBaseException(), "route");
        }

        Interlocked.Decrement(ref _routing);
        _post?.Invoke(FlushCommand.Instance);
    }

    private void ReportRefusals(Task<RedisResult> routed, SignalingDelivery?[] deliveries)
    {
        var results = routed.IsCompletedSuccessfully ? (RedisResult[])routed.Result! : null;
        for (var i = 0; i < deliveries.Length; i++)
        {
            if (deliveries[i] is { } delivery && Refusal(results is null ? null : (long)results[i], delivery) is { } answer)
            {
                _post?.Invoke(new RelayRefusedCommand(delivery.SenderSessionId!, answer));
            }
        }
    }

    private static SignalingMessage? Refusal(long? routed, SignalingDelivery delivery)
    {
        var target = delivery.TargetSessionId;
        return routed switch
        {
            null => new ErrorMessage(SignalingErrorCode.Unavailable, "The server cannot reach its shared state; the signal was not sent.") { Ref = delivery.SenderRef },
            0 => new ErrorMessage(SignalingErrorCode.UnknownPeer, $"No peer '{target}'.") { Ref = delivery.SenderRef },
            -1 => new ErrorMessage(SignalingErrorCode.NotInRoom, $"You share no room with '{target}'.") { Ref = delivery.SenderRef },
            -2 => new ExpiredMessage(target, ((SignalMessage)delivery.Message).Kind) { Ref = delivery.SenderRef },
            _ => null,
        };
    }

    public async ValueTask<RoomJoinResult> JoinRoomAsync(string roomId, PeerInfo member, int maxMembers, int maxRooms)
    {
        SendBatch();
        var result = (RedisResult[])(await RunAsync(RedisScripts.Join, [roomId, member.Id, RedisRecords.Peer(member), maxMembers, maxRooms]).ConfigureAwait(false))!;
        var status = (long)result[0];
        if (status < 0)
        {
            return new RoomJoinResult(status == -1 ? SignalingErrorCode.RoomFull : SignalingErrorCode.LimitExceeded, false, []);
        }

        KeepRoomAlive(roomId);
        return new RoomJoinResult(null, status == 1, result.Skip(1).Select(peer => RedisRecords.Peer((string)peer!)).ToList());
    }

    public async ValueTask<IReadOnlyList<string>> LeaveRoomAsync(string roomId, string sessionId)
    {
        SendBatch();
        var result = (RedisResult[])(await RunAsync(RedisScripts.Leave, [roomId, sessionId]).ConfigureAwait(false))!;
        return result.Select(id => (string)id!).ToList();
    }

    public ValueTask<SharedSessionState?> ClaimAsync(string resumeToken, string? principalUserId) =>
        ClaimAsync("t", resumeToken, principalUserId ?? "");

    public ValueTask<SharedSessionState?> AdoptAsync(string sessionId, string deadServer) => ClaimAsync("i", sessionId, deadServer);

    public async ValueTask<IReadOnlyList<HeldMessage>> ReadHeldAsync(string sessionId, long after, long through)
    {
        SendBatch();
        try
        {
            // The log is short (bounded by acknowledgements), so the range is picked here rather than by index.
            var items = await _db.ListRangeAsync("pc:l:" + sessionId).ConfigureAwait(false);
            return items.Select(item => (ReadOnlyMemory<byte>)item)
                .Where(item => RedisRecords.SeqOf(item.Span) is var seq && seq > after && seq <= through)
                .Select(RedisRecords.Held)
                .ToList();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new SignalingBackplaneUnavailableException("Could not read held messages.", e);
        }
    }

    public void End(SignalingSession session)
    {
        SendBatch();
        Fire("end", _db.ScriptEvaluateAsync(RedisScripts.End, values: [session.Id, session.ResumeToken, ServerId]));
    }

    public async ValueTask ResyncAsync(IReadOnlyCollection<SignalingSession> sessions)
    {
        SendBatch();
        await RefreshPresenceAsync().ConfigureAwait(false);
        var pending = sessions.Select(session => (Task)_db.ScriptEvaluateAsync(
            RedisScripts.Resync,
            values: SessionArguments(session, session.Unacked.Select(held => (RedisValue)RedisRecords.Numbered(held))))).ToList();
        pending.AddRange(sessions.Where(session => session.ClientSeq > 0)
            .Select(session => _db.HashSetAsync("pc:s:" + session.Id, "cseq", session.ClientSeq)));
        try
        {
            await Task.WhenAll(pending).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            SignalingLog.BackplaneOperationFailed(_logger, e, "resync");
        }
    }

    public void KeepAlive(IReadOnlyCollection<SignalingSession> sessions)
    {
        SendBatch();
        foreach (var session in sessions)
        {
            foreach (var key in (string[])["pc:s:", "pc:l:", "pc:sr:"])
            {
                Fire("keepalive", _db.KeyExpireAsync(key + session.Id, _keyLifetime, CommandFlags.FireAndForget));
            }

            Fire("keepalive", _db.KeyExpireAsync("pc:t:" + session.ResumeToken, _keyLifetime, CommandFlags.FireAndForget));
            foreach (var room in session.Rooms)
            {
                KeepRoomAlive(room);
            }
        }
    }

    public void Dispose()
    {
        _presenceTimer.Dispose();
        if (_redis.IsConnected)
        {
            // Tell the others at once rather than after the presence timeout.
            try
            {
                _db.KeyDelete("pc:i:" + ServerId);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                SignalingLog.BackplaneOperationFailed(_logger, e, "unregister");
            }
        }

        _redis.Dispose();
    }

    private void KeepRoomAlive(string room)
    {
        Fire("keepalive", _db.KeyExpireAsync("pc:r:" + room, _keyLifetime, CommandFlags.FireAndForget));
        Fire("keepalive", _db.KeyExpireAsync("pc:ri:" + room, _keyLifetime, CommandFlags.FireAndForget));
    }

    private async ValueTask<SharedSessionState?> ClaimAsync(string mode, string key, string check)
    {
        SendBatch();
        var result = await RunAsync(RedisScripts.Claim, [mode, key, ServerId, check]).ConfigureAwait(false);
        if (result.IsNull)
        {
            return null;
        }

        var fields = (RedisResult[])result!;
        var pairs = (RedisResult[])fields[5]!;
        var rooms = new Dictionary<string, PeerInfo>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < pairs.Length; i += 2)
        {
            rooms[(string)pairs[i]!] = RedisRecords.Peer((string)pairs[i + 1]!);
        }

        var id = (string)fields[0]!;
        var principal = RedisRecords.Principal(mode == "t" ? check : await TokenUserAsync(id).ConfigureAwait(false), (string)fields[2]!);
        return new SharedSessionState(
            id,
            (string)fields[1]!,
            principal,
            (string)fields[3]!,
            long.Parse((string)fields[4]!, CultureInfo.InvariantCulture),
            rooms,
            ((RedisResult[])fields[6]!).Select(item => RedisRecords.Held((byte[])item!)).ToList(),
            long.Parse((string)fields[7]!, CultureInfo.InvariantCulture));
    }

    private async Task<string> TokenUserAsync(string sessionId) =>
        (string?)await _db.HashGetAsync("pc:s:" + sessionId, "pu").ConfigureAwait(false) ?? "";

    private RedisValue[] SessionArguments(SignalingSession session, IEnumerable<RedisValue> held)
    {
        var values = new List<RedisValue>
        {
            session.Id,
            ServerId,
            session.UserId,
            session.Principal.UserId ?? "",
            RedisRecords.Rooms(session.Principal),
            session.ResumeToken,
            session.LastSeq,
            (long)_keyLifetime.TotalMilliseconds,
            session.Rooms.Count,
        };
        foreach (var (room, appearance) in session.Rooms.Appearances)
        {
            values.Add(room);
            values.Add(RedisRecords.Peer(appearance));
        }

        values.AddRange(held);
        return [.. values];
    }

    private async Task<RedisResult> RunAsync(string script, RedisValue[] values)
    {
        try
        {
            return await _db.ScriptEvaluateAsync(script, values: values).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new SignalingBackplaneUnavailableException("The shared store did not answer.", e);
        }
    }

    /// <summary>Observes a command nobody waits for, so its failure is logged rather than lost.</summary>
    private void Fire(string operation, Task task)
    {
        if (!task.IsCompleted)
        {
            _ = task.ContinueWith(
                t => SignalingLog.BackplaneOperationFailed(_logger, t.Exception!.GetBaseException(), operation),
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
        else if (task.IsFaulted)
        {
            SignalingLog.BackplaneOperationFailed(_logger, task.Exception!.GetBaseException(), operation);
        }
    }

    private async Task EnsureSubscribedAsync()
    {
        lock (_subscribeGate)
        {
            if (_queue is not null || _post is null)
            {
                return;
            }
        }

        try
        {
            var queue = await _redis.GetSubscriber().SubscribeAsync(_channel).ConfigureAwait(false);
            lock (_subscribeGate)
            {
                if (_queue is not null)
                {
                    return;
                }

                _queue = queue;
            }

            queue.OnMessage(OnChannelMessage);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The presence timer tries again.
            SignalingLog.BackplaneOperationFailed(_logger, e, "subscribe");
        }
    }

    private void OnChannelMessage(ChannelMessage message)
    {
        // One reader takes every delivery to this server in order, so it reads the bytes as they came, without a string.
        var payload = (ReadOnlyMemory<byte>)message.Message;
        if (_post is not { } post || payload.Length < 2)
        {
            return;
        }

        switch (payload.Span[0])
        {
            case (byte)'D':
                post(new DeliverCommand(RedisRecords.Numbered(payload[1..])));
                break;
            case (byte)'M':
                post(new MovedCommand(Encoding.UTF8.GetString(payload.Span[1..])));
                break;
        }
    }

    private async Task TickAsync()
    {
        try
        {
            if (!_redis.IsConnected)
            {
                return;
            }

            await EnsureSubscribedAsync().ConfigureAwait(false);
            await RefreshPresenceAsync().ConfigureAwait(false);
            await ReapAsync().ConfigureAwait(false);
            if (Interlocked.Increment(ref _ticks) % 6 == 0)
            {
                _post?.Invoke(new KeepAliveCommand());
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            SignalingLog.BackplaneOperationFailed(_logger, e, "presence");
        }
    }

    private async Task RefreshPresenceAsync()
    {
        await _db.StringSetAsync("pc:i:" + ServerId, 1, _options.PresenceTimeout).ConfigureAwait(false);
        await _db.SetAddAsync("pc:insts", ServerId).ConfigureAwait(false);
    }

    /// <summary>Finds servers whose presence expired; one live server wins each and adopts its sessions.</summary>
    private async Task ReapAsync()
    {
        foreach (var server in await _db.SetMembersAsync("pc:insts").ConfigureAwait(false))
        {
            var id = (string)server!;
            if (id == ServerId || await _db.KeyExistsAsync("pc:i:" + id).ConfigureAwait(false))
            {
                continue;
            }

            if (!await _db.StringSetAsync("pc:reap:" + id, ServerId, _options.PresenceTimeout * 2, When.NotExists).ConfigureAwait(false))
            {
                continue;
            }

            var sessions = (await _db.SetMembersAsync("pc:is:" + id).ConfigureAwait(false)).Select(s => (string)s!).ToList();
            await _db.SetRemoveAsync("pc:insts", id).ConfigureAwait(false);
            SignalingLog.AdoptingSessions(_logger, id, sessions.Count);
            if (sessions.Count > 0)
            {
                _post?.Invoke(new AdoptCommand(id, sessions));
            }
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (_available)
        {
            _available = false;
            SignalingLog.BackplaneLost(_logger, e.Exception);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (!_available && _redis.IsConnected)
        {
            _available = true;
            SignalingLog.BackplaneRestored(_logger);
            _post?.Invoke(new ResyncCommand());
        }
    }

    private sealed class Subscription(RedisSignalingBackplane owner) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref owner._post, null);
    }
}
