using System.Buffers;
using System.Collections.Immutable;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PeerConnect.Ice.Candidates;
using PeerConnect.Ice.Checks;
using PeerConnect.Ice.Network;
using PeerConnect.Stun;

namespace PeerConnect.Ice;

/// <summary>
/// A full (or lite) ICE agent for one bundled component (RFC 8445), with trickle (RFC 8838) and consent freshness
/// (RFC 7675). Every event — a datagram, a timer tick, an API call — is processed in order by one loop reading a
/// channel, so the agent's state needs no locks; events are raised from that loop.
/// </summary>
public sealed partial class IceAgent : IAsyncDisposable
{
    private readonly IceAgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Func<ValueTask>> _events = Channel.CreateUnbounded<Func<ValueTask>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closing = new();
    private readonly IceCheckList _checkList;
    private readonly ITimer _ticker;
    private readonly ITimer _pacer;
    private readonly Task _loop;
    private readonly ulong _tieBreaker;
    private readonly List<Task> _receiveLoops = [];

    private IceParameters _local;
    private byte[] _localKey;
    private IceParameters? _remote;
    private byte[]? _remoteKey;
    private IceRole _role;
    private TimeSpan _ta;
    private IceConnectionState _connectionState = IceConnectionState.New;
    private IceGatheringState _gatheringState = IceGatheringState.New;
    private ImmutableHashSet<IPEndPoint> _dataSources = [];
    private bool _closed;
    private int _queued;

    /// <summary>Creates an agent; nothing is bound until <see cref="GatherAsync"/>.</summary>
    /// <param name="options">Configuration; validated now.</param>
    /// <param name="timeProvider">Clock for pacing, retransmissions and consent; defaults to the system clock.</param>
    /// <param name="loggerFactory">Logging; defaults to none.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public IceAgent(IceAgentOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
        : this(options, timeProvider, loggerFactory, RandomTieBreaker())
    {
    }

    /// <summary>For testing: fixes the tie-breaker so role conflicts resolve predictably.</summary>
    internal IceAgent(IceAgentOptions options, TimeProvider? timeProvider, ILoggerFactory? loggerFactory, ulong tieBreaker)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<IceAgent>();
        _tieBreaker = tieBreaker;
        // RFC 8445 §6.1.1: a lite agent is always controlled.
        _role = options.Controlling && !options.Lite ? IceRole.Controlling : IceRole.Controlled;
        _local = FreshParameters(options);
        _ta = options.CheckPacing;
        _localKey = StunCredentials.ShortTermKey(_local.Password);
        _checkList = new IceCheckList(options.MaxPairs);
        Pipe = new IceDatagramPipe(options.ReceiveQueueCapacity);
        _ticker = _time.CreateTimer(_ => Post(OnTickAsync), null, options.CheckPacing, options.CheckPacing);
        // The system clock's timers fire up to a coarse kernel tick late. Retransmissions and consent (the ticker) can
        // live with that; the pacer, which starts each paced check the moment Ta has passed, gets a timer that does not.
        var pacing = ReferenceEquals(_time, TimeProvider.System) ? PreciseTimeProvider.Instance : _time;
        _pacer = pacing.CreateTimer(_ => Post(SendNextCheckAsync), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>A local candidate was gathered (trickle, RFC 8838 §4); null means end-of-candidates (§13).</summary>
    public event Action<IceCandidate?>? CandidateGathered;

    /// <summary>The gathering state changed.</summary>
    public event Action<IceGatheringState>? GatheringStateChanged;

    /// <summary>The connection state changed.</summary>
    public event Action<IceConnectionState>? ConnectionStateChanged;

    /// <summary>A (better) nominated pair was selected; the pipe now sends on it.</summary>
    public event Action<IceCandidatePairInfo>? SelectedPairChanged;

    /// <summary>This agent's ufrag and password, to signal to the peer; new after <see cref="RestartAsync"/>.</summary>
    public IceParameters LocalParameters => Volatile.Read(ref _local);

    /// <summary>The current role; may flip once on a role conflict (RFC 8445 §7.3.1.1).</summary>
    public IceRole Role => _role;

    /// <summary>The tie-breaker sent in ICE-CONTROLLING/ICE-CONTROLLED (RFC 8445 §7.1.3).</summary>
    public ulong TieBreaker => _tieBreaker;

    /// <summary>The current connection state.</summary>
    public IceConnectionState ConnectionState => _connectionState;

    /// <summary>The current gathering state.</summary>
    public IceGatheringState GatheringState => _gatheringState;

    /// <summary>The selected pair, if any.</summary>
    public IceCandidatePairInfo? SelectedPair { get; private set; }

    /// <summary>The selected pair as a datagram pipe for DTLS and RTP (RFC 7983 demultiplexing).</summary>
    public IceDatagramPipe Pipe { get; }

    /// <summary>Binds host sockets and starts gathering; candidates arrive through <see cref="CandidateGathered"/>.</summary>
    /// <exception cref="InvalidOperationException">Gathering already started, or the agent is closed.</exception>
    public Task GatherAsync() => Invoke(StartGatheringAsync);

    /// <summary>Sets the peer's ufrag and password (and whether it is lite); checks start once both these and candidates are known.</summary>
    /// <param name="remote">The peer's parameters.</param>
    public Task SetRemoteParametersAsync(IceParameters remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        remote.Validate();
        return Invoke(() => ApplyRemoteParametersAsync(remote));
    }

    /// <summary>Adds a remote candidate at any time (RFC 8838 §11); null signals the peer's end-of-candidates (§14).</summary>
    /// <param name="candidate">The candidate, or null.</param>
    public Task AddRemoteCandidateAsync(IceCandidate? candidate) => Invoke(() => AddRemoteAsync(candidate));

    /// <summary>
    /// ICE restart (RFC 8445 §9): new ufrag and password, candidates re-emitted for them, checks start over;
    /// the selected pair keeps carrying data until a pair of the new session is nominated.
    /// </summary>
    /// <returns>The new local parameters to signal.</returns>
    public async Task<IceParameters> RestartAsync()
    {
        await Invoke(RestartCoreAsync).ConfigureAwait(false);
        return LocalParameters;
    }

    /// <summary>Closes the agent: stops timers and checks, closes sockets and the pipe.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Invoke(CloseCoreAsync).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Already closed.
        }

        await _loop.ConfigureAwait(false);
        await Task.WhenAll(_receiveLoops).ConfigureAwait(false);
        _closing.Dispose();
    }

    /// <summary>
    /// New credentials, proposing this agent's Ta in whole milliseconds (RFC 8839 §5.5); a lite agent sends no checks,
    /// so it proposes none.
    /// </summary>
    private static IceParameters FreshParameters(IceAgentOptions options) =>
        IceParameters.Generate(options.Lite) with
        {
            Pacing = options.Lite ? null : TimeSpan.FromMilliseconds(Math.Ceiling(options.CheckPacing.TotalMilliseconds)),
        };

    private static ulong RandomTieBreaker()
    {
        Span<byte> bytes = stackalloc byte[8];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }

    /// <summary>For testing: no event is queued or running, so a fake clock may move on.</summary>
    internal bool IsIdle => Volatile.Read(ref _queued) == 0;

    private void Post(Func<ValueTask> work)
    {
        Interlocked.Increment(ref _queued);
        if (!_events.Writer.TryWrite(work))
        {
            Interlocked.Decrement(ref _queued);
        }
    }

    private Task Invoke(Func<ValueTask> work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Increment(ref _queued);
        bool posted = _events.Writer.TryWrite(async () =>
        {
            try
            {
                await work().ConfigureAwait(false);
                done.TrySetResult();
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        });
        if (!posted)
        {
            Interlocked.Decrement(ref _queued);
            done.TrySetException(new InvalidOperationException("The ICE agent is closed."));
        }

        return done.Task;
    }

    private async Task RunAsync()
    {
        var reader = _events.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var work))
            {
                try
                {
                    await work().ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    IceAgentLog.EventFailed(_logger, e);
                }

                if (!_closed)
                {
                    UpdateConnectionState();
                }

                Interlocked.Decrement(ref _queued);
            }
        }
    }

    private async ValueTask OnTickAsync()
    {
        if (_closed)
        {
            return;
        }

        await RetransmitDueAsync().ConfigureAwait(false);
        await SendNextCheckAsync().ConfigureAwait(false);
        await ConsentTickAsync().ConfigureAwait(false);
    }

    private async ValueTask CloseCoreAsync()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        await _ticker.DisposeAsync().ConfigureAwait(false);
        await _pacer.DisposeAsync().ConfigureAwait(false);
        await _closing.CancelAsync().ConfigureAwait(false);
        Pipe.SetRoute(null, null);
        Pipe.Complete();
        foreach (var b in _bases)
        {
            await b.Transport.DisposeAsync().ConfigureAwait(false);
        }

        SetConnectionState(IceConnectionState.Closed);
        _events.Writer.TryComplete();
    }

    /// <summary>
    /// Reads one base's socket and demultiplexes (RFC 7983 §7): STUN goes to the agent's loop; DTLS and RTP/RTCP
    /// from a known remote candidate go straight to the pipe without a hop through the loop; the rest is dropped.
    /// Relay transports unwrap TURN ChannelData and Data indications themselves (see <see cref="IceRelayAllocation"/>),
    /// so ChannelData seen here was not meant for this socket.
    /// </summary>
    private async Task ReceiveLoopAsync(LocalBase localBase)
    {
        var buffer = new byte[_options.MaxDatagramLength];
        var token = _closing.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                var result = await localBase.Transport.ReceiveAsync(buffer, token).ConfigureAwait(false);
                var datagram = buffer.AsSpan(0, result.Count);
                var kind = IceDemux.Classify(datagram);
                if (kind == IcePacketKind.Stun && StunFraming.LooksLikeStun(datagram))
                {
                    var copy = ArrayPool<byte>.Shared.Rent(result.Count);
                    datagram.CopyTo(copy);
                    int count = result.Count;
                    var from = result.RemoteEndPoint;
                    Post(() =>
                    {
                        try
                        {
                            return OnStunAsync(localBase, copy.AsMemory(0, count), from);
                        }
                        finally
                        {
                            ArrayPool<byte>.Shared.Return(copy);
                        }
                    });
                }
                else if (IceDemux.IsUpperLayer(kind) && Volatile.Read(ref _dataSources).Contains(Normalize(result.RemoteEndPoint)))
                {
                    Pipe.Deliver(datagram);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or ChannelClosedException || token.IsCancellationRequested)
        {
            IceAgentLog.ReceiveLoopEnded(_logger, e, localBase.Address);
        }
    }

    /// <summary>IPv4-mapped IPv6 sources (dual-mode sockets) compare as IPv4, as candidates are signalled.</summary>
    private static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    private async ValueTask SendAsync(LocalBase localBase, ReadOnlyMemory<byte> datagram, IPEndPoint remote)
    {
        try
        {
            await localBase.Transport.SendAsync(datagram, remote, _closing.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // An unreachable candidate is ordinary during checks: the pair fails by timeout.
            IceAgentLog.SendFailed(_logger, e, localBase.Address, remote);
        }
    }

    private void SetConnectionState(IceConnectionState state)
    {
        if (_connectionState == state)
        {
            return;
        }

        if (state == IceConnectionState.Completed && _connectionState is IceConnectionState.New or IceConnectionState.Checking)
        {
            // W3C order: a pair is connected before the session is completed, even when both happen in one event.
            SetConnectionState(IceConnectionState.Connected);
        }

        _connectionState = state;
        IceAgentLog.ConnectionState(_logger, state);
        Raise(ConnectionStateChanged, state);
    }

    private void SetGatheringState(IceGatheringState state)
    {
        if (_gatheringState == state)
        {
            return;
        }

        _gatheringState = state;
        Raise(GatheringStateChanged, state);
    }

    private void Raise<T>(Action<T>? handler, T value)
    {
        try
        {
            handler?.Invoke(value);
        }
        catch (Exception e)
        {
            // A subscriber's bug must not stop the agent's loop.
            IceAgentLog.EventFailed(_logger, e);
        }
    }

    private void UpdateConnectionState()
    {
        var now = _time.GetUtcNow();
        IceConnectionState state;
        if (_consentExpired)
        {
            state = IceConnectionState.Failed;
        }
        else if (_selected is not null)
        {
            bool complete = _gatheringState == IceGatheringState.Complete && _remoteEndOfCandidates && !_checkList.HasPendingChecks;
            state = now - _lastConsentAt >= _options.ConsentDisconnectedTimeout ? IceConnectionState.Disconnected
                : complete ? IceConnectionState.Completed
                : IceConnectionState.Connected;
        }
        else if (_checkList.AllFailed && _remoteEndOfCandidates && _gatheringState == IceGatheringState.Complete && _pendingResolutions == 0)
        {
            // RFC 8838 §8: with trickle, the check list fails only once both sides have ended their candidates.
            state = IceConnectionState.Failed;
        }
        else
        {
            state = _checkList.Pairs.Count > 0 || _transactions.Values.Any(t => t.Kind == TransactionKind.Check) ? IceConnectionState.Checking : IceConnectionState.New;
        }

        SetConnectionState(state);
    }
}
