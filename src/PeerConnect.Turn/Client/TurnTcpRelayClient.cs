using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;
using PeerConnect.Stun;
using PeerConnect.Stun.Client;
using PeerConnect.Stun.Transport;
using PeerConnect.Turn.Server;

namespace PeerConnect.Turn.Client;

/// <summary>
/// A TURN client holding one TCP allocation (RFC 6062) over a TCP or TLS control connection: it allocates with
/// REQUESTED-TRANSPORT TCP, keeps the allocation and its permissions refreshed, opens connections to peers
/// (Connect, §4.3) and takes the connections peers open to the relayed address (ConnectionAttempt, §4.4). Each
/// peer connection is bound on a connection of its own (ConnectionBind) and handed out as a <see cref="Stream"/>.
/// </summary>
public sealed class TurnTcpRelayClient : IAsyncDisposable
{
    // RFC 8489 §6.2.2: over a reliable transport a request is sent once and fails after Ti = 39.5 s.
    private static readonly TimeSpan TransactionTimeout = TimeSpan.FromSeconds(39.5);
    private const int ControlMessageLength = 2048;
    private const int MaxChallengeRetries = 2;
    private const int ConnectionAttemptQueue = 64;

    private readonly TurnClientOptions _options;
    private readonly TimeProvider _time;
    private readonly Stream _control;
    private readonly LongTermAuthenticator _auth;
    private readonly Lock _authLock = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<TransactionId, TaskCompletionSource<byte[]>> _pending = new();
    private readonly ConcurrentDictionary<IPAddress, byte> _permissions = new();
    private readonly Channel<(uint Id, IPEndPoint Peer)> _attempts = Channel.CreateBounded<(uint, IPEndPoint)>(
        new BoundedChannelOptions(ConnectionAttemptQueue) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = false });
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _refreshTimer;
    private readonly Task _readLoop;
    private TurnAllocation? _allocation;
    private int _disposed;

    private TurnTcpRelayClient(TurnClientOptions options, Stream control)
    {
        _options = options;
        _time = options.TimeProvider;
        _control = control;
        _auth = options.RestSecret is null
            ? new LongTermAuthenticator(options.Username!, options.Password!)
            : CreateRestAuthenticator(options);
        _refreshTimer = _time.CreateTimer(static state => _ = ((TurnTcpRelayClient)state!).RefreshAsync(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>The allocation, once <see cref="AllocateAsync"/> succeeded; its relayed address listens for peers' TCP connections.</summary>
    public TurnAllocation? Allocation => _allocation;

    /// <summary>Opens the control connection (TCP or TLS, per <see cref="TurnClientOptions.Transport"/>); does not allocate yet.</summary>
    /// <param name="options">Server, credentials and TLS settings; the transport must be TCP or TLS (RFC 6062 §4.1).</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <exception cref="ArgumentException">The options are invalid or name UDP.</exception>
    /// <exception cref="SocketException">The server refused the connection.</exception>
    public static async Task<TurnTcpRelayClient> ConnectAsync(TurnClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Transport == StunTransportProtocol.Udp)
        {
            throw new ArgumentException("TCP allocations need a TCP or TLS connection to the server (RFC 6062 §4.1).", nameof(options));
        }
        return new TurnTcpRelayClient(options, await OpenAsync(options, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Creates the TCP allocation (RFC 6062 §4.1), answering the 401 challenge, and starts refreshing it.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="StunErrorResponseException">The server refused, e.g. 442 when it does not relay TCP.</exception>
    /// <exception cref="InvalidOperationException">The client already has an allocation.</exception>
    public async Task<TurnAllocation> AllocateAsync(CancellationToken cancellationToken = default)
    {
        if (_allocation is not null)
        {
            throw new InvalidOperationException("The client already has an allocation.");
        }
        uint lifetime = (uint)_options.RequestedLifetime.TotalSeconds;
        var response = await RequestAsync(StunMethod.Allocate, (ref StunMessageWriter w) =>
        {
            w.WriteRequestedTransport(TurnTransport.Tcp);
            w.WriteUInt32(StunAttributeType.Lifetime, lifetime);
        }, cancellationToken).ConfigureAwait(false);
        var reader = StunMessageReader.Parse(response);
        if (!TryReadAddress(reader, StunAttributeType.XorRelayedAddress, out var relayed) || !reader.TryGetUInt32(StunAttributeType.Lifetime, out uint granted))
        {
            throw new StunInvalidResponseException("The Allocate success lacks XOR-RELAYED-ADDRESS or LIFETIME.");
        }
        IPEndPoint? mapped = TryReadAddress(reader, StunAttributeType.XorMappedAddress, out var m) ? m : null;
        var allocation = new TurnAllocation(relayed, mapped, TimeSpan.FromSeconds(granted));
        _allocation = allocation;
        ScheduleRefresh(allocation.Lifetime);
        return allocation;
    }

    /// <summary>
    /// Installs a permission for <paramref name="peer"/>'s IP (RFC 8656 §10), refreshed until the client closes:
    /// needed before that peer may connect to the relayed address (RFC 6062 §5.3).
    /// </summary>
    /// <param name="peer">The peer; only its address matters.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="StunErrorResponseException">The server refused, e.g. 403 for a peer it will not relay to.</exception>
    public async Task CreatePermissionAsync(IPEndPoint peer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peer);
        await SendCreatePermissionAsync(peer, cancellationToken).ConfigureAwait(false);
        _permissions[peer.Address] = 0;
    }

    /// <summary>
    /// Opens a TCP connection from the relayed address to <paramref name="peer"/> (Connect, RFC 6062 §4.3) and binds
    /// it to a new connection to the server (ConnectionBind).
    /// </summary>
    /// <param name="peer">Where to connect.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="StunErrorResponseException">403 (policy), 446 (a connection to that peer exists) or 447 (the peer did not answer).</exception>
    public async Task<TurnTcpPeerConnection> ConnectPeerAsync(IPEndPoint peer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var response = await RequestAsync(StunMethod.Connect, (ref StunMessageWriter w) => WritePeer(ref w, peer), cancellationToken).ConfigureAwait(false);
        if (!StunMessageReader.Parse(response).TryGetConnectionId(out uint id))
        {
            throw new StunInvalidResponseException("The Connect success lacks CONNECTION-ID.");
        }
        return new TurnTcpPeerConnection(peer, id, await BindAsync(id, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Waits for a peer to connect to the relayed address (ConnectionAttempt, RFC 6062 §4.4) and binds it.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="TurnAllocationLostException">The control connection closed.</exception>
    public async Task<TurnTcpPeerConnection> AcceptPeerAsync(CancellationToken cancellationToken = default)
    {
        (uint id, IPEndPoint peer) attempt;
        try
        {
            attempt = await _attempts.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            throw e.InnerException as TurnAllocationLostException ?? new TurnAllocationLostException("The control connection to the TURN server closed.", e);
        }
        (uint id, IPEndPoint peer) = attempt;
        return new TurnTcpPeerConnection(peer, id, await BindAsync(id, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Deletes the allocation (Refresh with LIFETIME 0) and closes the control connection; bound data connections close with it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _refreshTimer.DisposeAsync().ConfigureAwait(false);
        if (_allocation is not null)
        {
            using var release = new CancellationTokenSource(_options.CloseTimeout, _time);
            try
            {
                await RequestAsync(StunMethod.Refresh, (ref StunMessageWriter w) => w.WriteUInt32(StunAttributeType.Lifetime, 0), release.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StunErrorResponseException or OperationCanceledException or TurnAllocationLostException or IOException or StunInvalidResponseException)
            {
                // The connection closing ends the allocation anyway (RFC 8656 §3.1).
            }
        }
        _stopping.Cancel();
        await _control.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _writeLock.Dispose();
        _stopping.Dispose();
    }

    /// <summary>RFC 6062 §4.3, §4.4: a new connection to the server, ConnectionBind with the id, and on success a raw stream.</summary>
    private async Task<Stream> BindAsync(uint connectionId, CancellationToken cancellationToken)
    {
        var stream = await OpenAsync(_options, cancellationToken).ConfigureAwait(false);
        try
        {
            byte[] buffer = new byte[ControlMessageLength];
            for (int attempt = 0; ; attempt++)
            {
                var transaction = TransactionId.NewRandom();
                int length = BuildRequest(buffer, StunMethod.ConnectionBind, transaction, (ref StunMessageWriter w) => w.WriteConnectionId(connectionId), out byte[]? key);
                await stream.WriteAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                using var timeout = new CancellationTokenSource(TransactionTimeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
                int read = await StunStreamFramer.ReadMessageAsync(stream, buffer, linked.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new IOException("The TURN server closed the data connection before answering ConnectionBind.");
                }
                var response = StunMessageReader.Parse(buffer.AsSpan(0, read));
                if (response.TransactionId != transaction || !LongTermAuthenticator.IsAuthentic(response, key))
                {
                    throw new StunInvalidResponseException("The ConnectionBind response does not match the request.");
                }
                if (response.Class == StunMessageClass.SuccessResponse)
                {
                    return stream;
                }
                if (!ShouldRetryChallenge(response, attempt, out var error))
                {
                    throw error;
                }
            }
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends a request on the control connection, answering 401/438 challenges, and returns the success response.</summary>
    private async Task<byte[]> RequestAsync(StunMethod method, RequestAttributes attributes, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[ControlMessageLength];
        for (int attempt = 0; ; attempt++)
        {
            var transaction = TransactionId.NewRandom();
            int length = BuildRequest(buffer, method, transaction, attributes, out byte[]? key);
            var completion = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[transaction] = completion;
            if (_readLoop.IsCompleted)
            {
                // The loop failed every waiting request when it ended; this one came after.
                _pending.TryRemove(transaction, out _);
                throw new TurnAllocationLostException("The control connection to the TURN server closed.");
            }
            byte[] bytes;
            try
            {
                await WriteControlAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                bytes = await completion.Task.WaitAsync(TransactionTimeout, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException e)
            {
                throw new StunTimeoutException($"The TURN server did not answer {method} within {TransactionTimeout.TotalSeconds} s.", e);
            }
            finally
            {
                _pending.TryRemove(transaction, out _);
            }
            var response = StunMessageReader.Parse(bytes);
            if (!LongTermAuthenticator.IsAuthentic(response, key))
            {
                throw new StunInvalidResponseException($"The {method} response failed its integrity check.");
            }
            if (response.Class == StunMessageClass.SuccessResponse)
            {
                return bytes;
            }
            if (!ShouldRetryChallenge(response, attempt, out var error))
            {
                throw error;
            }
        }
    }

    /// <summary>RFC 8489 §9.2.5: a 401 (first time) or 438 teaches REALM and NONCE and the request is sent again.</summary>
    private bool ShouldRetryChallenge(StunMessageReader response, int attempt, out Exception error)
    {
        if (!response.TryGetErrorCode(out int code, out string reason))
        {
            error = new StunInvalidResponseException("An error response without ERROR-CODE.");
            return false;
        }
        error = new StunErrorResponseException(code, reason);
        if (attempt >= MaxChallengeRetries || code is not (StunErrorCodes.Unauthorized or StunErrorCodes.StaleNonce))
        {
            return false;
        }
        lock (_authLock)
        {
            // A 401 to a signed request means the credentials are wrong: retrying cannot help.
            if (code == StunErrorCodes.Unauthorized && _auth.HasChallenge && attempt > 0)
            {
                return false;
            }
            return _auth.TryAcceptChallenge(response);
        }
    }

    private int BuildRequest(byte[] buffer, StunMethod method, TransactionId transaction, RequestAttributes attributes, out byte[]? key)
    {
        var writer = new StunMessageWriter(buffer, new StunMessageType(method, StunMessageClass.Request), transaction);
        attributes(ref writer);
        lock (_authLock)
        {
            key = _auth.Key;
            _auth.Sign(ref writer);
        }
        writer.WriteFingerprint();
        return writer.Length;
    }

    private async Task WriteControlAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _control.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            throw new TurnAllocationLostException("The control connection to the TURN server closed.", e);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Responses go to their waiting request; ConnectionAttempt indications to <see cref="AcceptPeerAsync"/>.</summary>
    private async Task ReadLoopAsync()
    {
        byte[] buffer = new byte[_options.MaxMessageLength];
        Exception reason = new TurnAllocationLostException("The control connection to the TURN server closed.");
        try
        {
            while (true)
            {
                int length = await StunStreamFramer.ReadMessageAsync(_control, buffer, _stopping.Token).ConfigureAwait(false);
                if (length == 0)
                {
                    break;
                }
                if (!StunMessageReader.TryParse(buffer.AsSpan(0, length), out var message, out _))
                {
                    continue;
                }
                if (message.Class is StunMessageClass.SuccessResponse or StunMessageClass.ErrorResponse)
                {
                    if (_pending.TryRemove(message.TransactionId, out var waiting))
                    {
                        waiting.TrySetResult(buffer.AsSpan(0, length).ToArray());
                    }
                }
                else if (message.Class == StunMessageClass.Indication && message.Method == StunMethod.ConnectionAttempt
                    && message.TryGetConnectionId(out uint id) && TryReadAddress(message, StunAttributeType.XorPeerAddress, out var peer))
                {
                    // A full queue drops the attempt: the server closes the peer connection after 30 s (RFC 6062 §5.3).
                    _attempts.Writer.TryWrite((id, peer));
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            reason = new TurnAllocationLostException("The control connection to the TURN server closed.", e);
        }
        finally
        {
            foreach (var transaction in _pending.Keys)
            {
                if (_pending.TryRemove(transaction, out var waiting))
                {
                    waiting.TrySetException(reason);
                }
            }
            _attempts.Writer.TryComplete(reason);
        }
    }

    private async Task RefreshAsync()
    {
        if (_allocation is null || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }
        uint lifetime = (uint)_options.RequestedLifetime.TotalSeconds;
        try
        {
            var response = await RequestAsync(StunMethod.Refresh, (ref StunMessageWriter w) => w.WriteUInt32(StunAttributeType.Lifetime, lifetime), _stopping.Token).ConfigureAwait(false);
            foreach (var peer in _permissions.Keys)
            {
                await SendCreatePermissionAsync(new IPEndPoint(peer, 0), _stopping.Token).ConfigureAwait(false);
            }
            uint granted = StunMessageReader.Parse(response).TryGetUInt32(StunAttributeType.Lifetime, out uint g) ? g : lifetime;
            ScheduleRefresh(TimeSpan.FromSeconds(granted));
        }
        catch (Exception e) when (e is StunErrorResponseException or StunTimeoutException or StunInvalidResponseException or TurnAllocationLostException or OperationCanceledException or ObjectDisposedException)
        {
            // The allocation is lost; the next request or accept reports it.
        }
    }

    private void ScheduleRefresh(TimeSpan lifetime)
    {
        // Permissions last 300 s (RFC 8656 §9): refresh them, and the allocation, well before either lapses.
        var delay = _options.RefreshDelay(lifetime);
        var permissionDelay = TurnServerOptions.PermissionLifetime - _options.RefreshMargin;
        _refreshTimer.Change(delay < permissionDelay ? delay : permissionDelay, Timeout.InfiniteTimeSpan);
    }

    private Task<byte[]> SendCreatePermissionAsync(IPEndPoint peer, CancellationToken cancellationToken) =>
        RequestAsync(StunMethod.CreatePermission, (ref StunMessageWriter w) => WritePeer(ref w, peer), cancellationToken);

    private static void WritePeer(ref StunMessageWriter writer, IPEndPoint peer) =>
        writer.WriteXorAddress(StunAttributeType.XorPeerAddress, peer);

    private static bool TryReadAddress(StunMessageReader message, StunAttributeType type, out IPEndPoint address)
    {
        address = null!;
        if (!message.TryGetAttribute(type, out var value) || !XorAddress.TryRead(value, message.Message, out var decoded))
        {
            return false;
        }
        address = decoded.ToEndPoint();
        return true;
    }

    private static LongTermAuthenticator CreateRestAuthenticator(TurnClientOptions options)
    {
        (string username, string password) = TurnRestCredentials.Create(options.RestSecret!, options.RestUserId!, options.RestCredentialLifetime, options.TimeProvider);
        return new LongTermAuthenticator(username, password);
    }

    private static async Task<Stream> OpenAsync(TurnClientOptions options, CancellationToken cancellationToken)
    {
        var socket = new Socket(options.Server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(options.Server, cancellationToken).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (options.Transport == StunTransportProtocol.Tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = options.TlsServerName ?? options.Server.Address.ToString(),
                    RemoteCertificateValidationCallback = options.TlsCertificateValidation,
                }, cancellationToken).ConfigureAwait(false);
            }
            return stream;
        }
        catch
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Writes a request's own attributes; credentials and FINGERPRINT are added after.</summary>
    private delegate void RequestAttributes(ref StunMessageWriter writer);
}
