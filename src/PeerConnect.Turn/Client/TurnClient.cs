using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PeerConnect.Stun;
using PeerConnect.Stun.Client;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Turn.Client;

/// <summary>
/// A TURN client (RFC 8656) holding one UDP allocation on one server, over UDP, TCP or TLS. It answers the
/// authentication challenge, keeps the allocation, its permissions and channels refreshed, and presents the
/// relayed address as a datagram transport (<see cref="Relay"/>) for the ICE agent.
/// </summary>
/// <remarks>
/// All allocation state changes happen on one serial owner: a loop reading commands from a channel (API calls,
/// refresh timers, first use of a peer). The relayed send and receive paths never wait for it once a peer has its
/// permission; they read the peer table, which only the owner writes (see <see cref="TurnPeerTable"/>).
/// </remarks>
public sealed partial class TurnClient : IAsyncDisposable
{
    private readonly TurnClientOptions _options;
    private readonly IDatagramTransport _server;
    private readonly bool _reliable;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TurnTransactionRunner _transactions;
    private readonly TurnPeerTable _peers = new();
    private readonly RelayInbox _inbox;
    private readonly Channel<TurnCommand> _commands = Channel.CreateUnbounded<TurnCommand>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _refreshTimer;
    private readonly Task _receiveLoop;
    private readonly Task _ownerLoop;
    private volatile TurnAllocation? _allocation;
    private Exception? _lost;
    private int _disposed;

    /// <summary>For testing: a client over an already open transport to the server.</summary>
    /// <param name="options">Validated here.</param>
    /// <param name="server">Carries every message to and from the server; the client reads it and disposes it.</param>
    /// <param name="reliable">True for TCP/TLS: no retransmissions, ChannelData padded to 4 bytes.</param>
    internal TurnClient(TurnClientOptions options, IDatagramTransport server, bool reliable)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(server);
        options.Validate();
        _options = options;
        _server = server;
        _reliable = reliable;
        _time = options.TimeProvider;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<TurnClient>();
        _inbox = new RelayInbox(options.ReceiveQueueCapacity);
        _transactions = new TurnTransactionRunner(SendToServerAsync, options.Server, TransactionOptions(options, reliable), _time, _logger);
        _refreshTimer = _time.CreateTimer(static state => ((TurnClient)state!).Post(RefreshCommand.Instance), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Relay = new TurnRelayTransport(this);
        _receiveLoop = Task.Run(ReceiveLoopAsync);
        _ownerLoop = Task.Run(OwnerLoopAsync);
    }

    /// <summary>The allocation, once <see cref="AllocateAsync"/> succeeded.</summary>
    public TurnAllocation? Allocation => _allocation;

    /// <summary>The relayed address as a datagram transport: sends go to peers through the server, receives come from them.</summary>
    public TurnRelayTransport Relay { get; }

    /// <summary>The local end of the connection to the server (host candidate the allocation was made from).</summary>
    public IPEndPoint LocalEndPoint => _server.LocalEndPoint;

    /// <summary>Relayed datagrams dropped because the reader of <see cref="Relay"/> fell behind.</summary>
    public long DroppedDatagrams => _inbox.Dropped;

    /// <summary>Opens the connection to the server (a UDP socket, or a TCP/TLS connection); does not allocate yet.</summary>
    /// <param name="options">Server, transport, credentials and timers; validated here.</param>
    /// <param name="cancellationToken">Cancels connecting over TCP/TLS.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="SocketException">The server refused the TCP connection or is unreachable.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The server's TLS certificate was rejected.</exception>
    public static async Task<TurnClient> ConnectAsync(TurnClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        IDatagramTransport transport = options.Transport switch
        {
            StunTransportProtocol.Udp => UdpDatagramTransport.Bind(new IPEndPoint(LocalAddressFor(options.Server.Address), 0)),
            StunTransportProtocol.Tcp => await TurnStreamTransport.ConnectAsync(options.Server, null, options.MaxMessageLength, cancellationToken).ConfigureAwait(false),
            _ => await TurnStreamTransport.ConnectAsync(options.Server, TlsOptions(options), options.MaxMessageLength, cancellationToken).ConfigureAwait(false),
        };
        return new TurnClient(options, transport, reliable: options.Transport != StunTransportProtocol.Udp);
    }

    /// <summary>Creates the allocation (RFC 8656 §7.1), answering the 401 challenge, and starts refreshing it.</summary>
    /// <param name="cancellationToken">Stops waiting; the request itself runs to its end.</param>
    /// <exception cref="StunErrorResponseException">The server refused, e.g. 441 Wrong Credentials or 486 Allocation Quota Reached.</exception>
    /// <exception cref="StunTimeoutException">The server did not answer.</exception>
    /// <exception cref="InvalidOperationException">The client already has an allocation.</exception>
    public async Task<TurnAllocation> AllocateAsync(CancellationToken cancellationToken = default)
    {
        var command = new AllocateCommand(new TaskCompletionSource<TurnAllocation>(TaskCreationOptions.RunContinuationsAsynchronously));
        PostOrThrow(command);
        return await command.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Installs permissions for <paramref name="peers"/> in one CreatePermission (RFC 8656 §10); they are refreshed until the client closes.</summary>
    /// <param name="peers">Peers on the allocation's address family; only their IP addresses matter to the server.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="StunErrorResponseException">The server refused, e.g. 403 Forbidden for a peer it will not relay to.</exception>
    public async Task CreatePermissionAsync(IEnumerable<IPEndPoint> peers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peers);
        IPEndPoint[] list = [.. peers];
        ArgumentOutOfRangeException.ThrowIfZero(list.Length, nameof(peers));
        foreach (IPEndPoint peer in list)
        {
            CheckPeer(peer);
        }

        var command = new PermissionCommand(list, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        PostOrThrow(command);
        await command.Completion!.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Binds a channel to <paramref name="peer"/> (RFC 8656 §12.1), which also installs its permission; later sends
    /// to it use ChannelData. Sending binds channels by itself when <see cref="TurnClientOptions.UseChannels"/> is on.
    /// </summary>
    /// <param name="peer">The peer.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The channel number, 0x4000–0x4FFF.</returns>
    /// <exception cref="StunErrorResponseException">The server refused the binding.</exception>
    public async Task<ushort> BindChannelAsync(IPEndPoint peer, CancellationToken cancellationToken = default)
    {
        CheckPeer(peer);
        var command = new ChannelCommand(peer, new TaskCompletionSource<ushort>(TaskCreationOptions.RunContinuationsAsynchronously));
        PostOrThrow(command);
        return await command.Completion!.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Releases the allocation (Refresh with LIFETIME 0, RFC 8656 §8), waiting at most <see cref="TurnClientOptions.CloseTimeout"/>, and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        var close = new CloseCommand(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (_allocation is not null && Volatile.Read(ref _lost) is null && _commands.Writer.TryWrite(close))
        {
            try
            {
                await close.Completion.Task.WaitAsync(_options.CloseTimeout, _time).ConfigureAwait(false);
            }
            catch (TimeoutException e)
            {
                TurnClientLog.ReleaseFailed(_logger, _options.Server, e);
            }
        }

        _commands.Writer.TryComplete();
        MarkLost(new TurnAllocationLostException("The TURN client is disposed."));
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(_receiveLoop, _ownerLoop).ConfigureAwait(false);
        await _refreshTimer.DisposeAsync().ConfigureAwait(false);
        foreach (TurnPeer peer in _peers.All)
        {
            peer.DisposeTimers();
        }
    }

    /// <summary>The send path of <see cref="TurnRelayTransport"/>: ChannelData when bound, else a Send indication.</summary>
    internal ValueTask SendToPeerAsync(ReadOnlyMemory<byte> data, EndPoint remote, CancellationToken cancellationToken)
    {
        if (remote is not IPEndPoint peerEndPoint)
        {
            throw new ArgumentException("TURN relays to IP endpoints.", nameof(remote));
        }

        ThrowIfUnusable();
        TurnPeer? peer = _peers.Find(peerEndPoint);
        return peer is { HasPermission: true }
            ? SendToPermittedPeerAsync(data, peer, cancellationToken)
            : SendAfterPermissionAsync(data, peerEndPoint, cancellationToken);
    }

    /// <summary>The receive path of <see cref="TurnRelayTransport"/>.</summary>
    internal ValueTask<DatagramReceiveResult> ReceiveFromPeerAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _inbox.ReceiveAsync(buffer, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendToPermittedPeerAsync(ReadOnlyMemory<byte> data, TurnPeer peer, CancellationToken cancellationToken)
    {
        ushort channel = peer.BoundChannel;
        byte[] frame = ArrayPool<byte>.Shared.Rent(data.Length + SendIndication.Overhead);
        try
        {
            int length = channel != 0
                ? ChannelDataFrame.Write(frame, channel, data.Span, padded: _reliable)
                : SendIndication.Write(frame, peer.EndPoint, data.Span);
            await _server.SendAsync(frame.AsMemory(0, length), _options.Server, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }

        // Send indications carry the data until the channel is confirmed, and for good if binding fails (RFC 8656 §12).
        if (channel == 0 && _options.UseChannels && peer.TryClaimChannelRequest())
        {
            Post(new ChannelCommand(peer.EndPoint, null));
        }
    }

    // First use of a peer: the server drops Send indications to peers without a permission (RFC 8656 §11.2), so the
    // first datagram waits for CreatePermission.
    private async ValueTask SendAfterPermissionAsync(ReadOnlyMemory<byte> data, IPEndPoint peerEndPoint, CancellationToken cancellationToken)
    {
        CheckPeer(peerEndPoint);
        var command = new PermissionCommand([peerEndPoint], new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        PostOrThrow(command);
        await command.Completion!.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        TurnPeer peer = _peers.Find(peerEndPoint) ?? throw new TurnAllocationLostException("The peer was dropped while its permission was installed.");
        await SendToPermittedPeerAsync(data, peer, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask SendToServerAsync(ReadOnlyMemory<byte> message, EndPoint server) =>
        _server.SendAsync(message, server, _stopping.Token);

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[_options.MaxMessageLength];
        try
        {
            while (true)
            {
                DatagramReceiveResult received = await _server.ReceiveAsync(buffer, _stopping.Token).ConfigureAwait(false);
                Dispatch(buffer.AsSpan(0, received.Count), received.RemoteEndPoint);
            }
        }
        catch (Exception) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or InvalidDataException or SocketException or ObjectDisposedException)
        {
            MarkLost(new TurnAllocationLostException("The connection to the TURN server failed.", e));
        }
    }

    /// <summary>Handles one message from the server; internal so tests can drive it synchronously.</summary>
    internal void Dispatch(ReadOnlySpan<byte> datagram, IPEndPoint source)
    {
        // Over UDP anyone can send to our port; only the server speaks for the allocation (RFC 8656 §3).
        if (!_reliable && !source.Equals(_options.Server))
        {
            TurnClientLog.DroppedDatagram(_logger, datagram.Length, source, "not from the TURN server");
            return;
        }

        if (ChannelDataFrame.TryRead(datagram, out ushort channel, out ReadOnlySpan<byte> data))
        {
            // RFC 8656 §12.6: ChannelData on a channel not bound to a peer is discarded.
            TurnPeer? peer = _peers.FindByChannel(channel);
            if (peer is null)
            {
                TurnClientLog.DroppedDatagram(_logger, datagram.Length, source, "ChannelData on an unbound channel");
                return;
            }

            _inbox.TryPost(data, peer.EndPoint);
            return;
        }

        if (!StunMessageReader.TryParse(datagram, out StunMessageReader message, out _))
        {
            TurnClientLog.DroppedDatagram(_logger, datagram.Length, source, "neither STUN nor ChannelData");
            return;
        }

        switch (message.Class)
        {
            case StunMessageClass.SuccessResponse or StunMessageClass.ErrorResponse:
                _transactions.OnResponse(message, source);
                break;
            case StunMessageClass.Indication when message.Method == StunMethod.Data:
                OnDataIndication(message, source);
                break;
            default:
                TurnClientLog.DroppedDatagram(_logger, datagram.Length, source, "not a response or Data indication");
                break;
        }
    }

    // RFC 8656 §11.4: a Data indication needs XOR-PEER-ADDRESS and DATA, and comes from a peer whose IP address
    // has a permission; anything else is discarded.
    private void OnDataIndication(StunMessageReader message, IPEndPoint source)
    {
        Span<byte> address = stackalloc byte[16];
        if (!message.TryGetXorAddress(StunAttributeType.XorPeerAddress, address, out int addressLength, out int port)
            || !message.TryGetAttribute(StunAttributeType.Data, out ReadOnlySpan<byte> data))
        {
            TurnClientLog.DroppedDatagram(_logger, message.Message.Length, source, "Data indication without XOR-PEER-ADDRESS or DATA");
            return;
        }

        IPEndPoint? from = _peers.Find(PeerKey.From(address[..addressLength], port))?.EndPoint
            ?? NewPeerEndPointIfPermitted(address[..addressLength], port);
        if (from is null)
        {
            TurnClientLog.DroppedDatagram(_logger, message.Message.Length, source, "Data indication from a peer without a permission");
            return;
        }

        _inbox.TryPost(data, from);
    }

    // Permissions cover an IP address, any port (RFC 8656 §9): a known address on a new port is a new peer endpoint,
    // e.g. a peer-reflexive candidate. Rare, so allocating the endpoint here is fine.
    private IPEndPoint? NewPeerEndPointIfPermitted(ReadOnlySpan<byte> address, int port)
    {
        var ip = new IPAddress(address);
        foreach (TurnPeer peer in _peers.All)
        {
            if (peer.HasPermission && peer.EndPoint.Address.Equals(ip))
            {
                return new IPEndPoint(ip, port);
            }
        }

        return null;
    }

    private void ThrowIfUnusable()
    {
        if (Volatile.Read(ref _lost) is Exception lost)
        {
            throw lost;
        }

        if (_allocation is null)
        {
            throw new InvalidOperationException("The TURN client has no allocation yet; call AllocateAsync first.");
        }
    }

    private void CheckPeer(IPEndPoint peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ThrowIfUnusable();
        // RFC 8656 §10.2/§12.2: the server answers 443 for a peer of the other family; say so before asking.
        if (peer.AddressFamily != _allocation!.RelayedEndPoint.AddressFamily)
        {
            throw new ArgumentException($"Peer {peer} is not of the relayed address's family ({_allocation.RelayedEndPoint.AddressFamily}).", nameof(peer));
        }
    }

    private void Post(TurnCommand command) => _commands.Writer.TryWrite(command);

    private void PostOrThrow(TurnCommand command)
    {
        if (!_commands.Writer.TryWrite(command))
        {
            throw new ObjectDisposedException(nameof(TurnClient));
        }
    }

    private void MarkLost(TurnAllocationLostException reason)
    {
        if (Interlocked.CompareExchange(ref _lost, reason, null) is not null)
        {
            return;
        }

        if (reason.InnerException is Exception cause)
        {
            TurnClientLog.AllocationLost(_logger, _options.Server, cause);
        }

        _transactions.Abort();
        _inbox.Close(reason);
    }

    // Over TCP/TLS a request is sent once and fails after Ti (RFC 8489 §6.2.2): one transmission, one wait of Ti.
    private static StunClientOptions TransactionOptions(TurnClientOptions options, bool reliable) =>
        reliable
            ? options.Transactions with
            {
                InitialRetransmissionTimeout = options.Transactions.StreamTransactionTimeout,
                MaxTransmissions = 1,
                LastWaitMultiplier = 1,
            }
            : options.Transactions;

    private static SslClientAuthenticationOptions TlsOptions(TurnClientOptions options) => new()
    {
        TargetHost = options.TlsServerName ?? options.Server.Address.ToString(),
        RemoteCertificateValidationCallback = options.TlsCertificateValidation,
    };

    // Loopback servers are reached from loopback; others from the wildcard address of their family.
    private static IPAddress LocalAddressFor(IPAddress server) =>
        server.AddressFamily == AddressFamily.InterNetworkV6
            ? IPAddress.IsLoopback(server) ? IPAddress.IPv6Loopback : IPAddress.IPv6Any
            : IPAddress.IsLoopback(server) ? IPAddress.Loopback : IPAddress.Any;
}
