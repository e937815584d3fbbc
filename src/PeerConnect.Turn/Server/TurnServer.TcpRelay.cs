using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using PeerConnect.Stun;

namespace PeerConnect.Turn.Server;

/// <summary>
/// TCP allocations (RFC 6062): Allocate with REQUESTED-TRANSPORT TCP (§5.1), Connect (§5.2), peers connecting to the
/// relayed address and the ConnectionAttempt indication (§5.3), ConnectionBind (§5.4) and the data connections'
/// lifetimes (§5.5). The control connection speaks STUN; each data connection, once bound, is a raw byte pipe.
/// </summary>
public sealed partial class TurnServer
{
    /// <summary>RFC 6062 §5.2, §5.3: a peer data connection not bound within 30 s is closed.</summary>
    private static readonly TimeSpan ConnectionBindTimeout = TimeSpan.FromSeconds(30);

    private const int ControlMessageLength = 512;

    private readonly ConcurrentDictionary<uint, TcpRelayConnection> _tcpConnections = new();

    /// <summary>RFC 6062 §5.1 steps 2–3: only over TCP/TLS, and without DONT-FRAGMENT, EVEN-PORT or RESERVATION-TOKEN.</summary>
    private static bool IsAcceptableTcpAllocate(TurnFiveTuple fiveTuple, StunMessageReader request) =>
        fiveTuple.IsStream
        && !request.HasAttribute(StunAttributeType.DontFragment)
        && !request.HasAttribute(StunAttributeType.EvenPort)
        && !request.HasAttribute(StunAttributeType.ReservationToken)
        // A dual-stack TCP allocation is not offered: one listener, one family.
        && !request.HasAttribute(StunAttributeType.AdditionalAddressFamily);

    private TcpRelay? BindTcpRelay(AddressFamily family)
    {
        var address = family == AddressFamily.InterNetworkV6 ? _options.RelayAddressV6 : _options.RelayAddress;
        return address is null ? null : TcpRelay.Bind(address, _options.RelayPortMin, _options.RelayPortMax, _options.MaxTcpConnectionsPerAllocation);
    }

    /// <summary>RFC 6062 §5.2. Answers at once when the request is refused; otherwise later, when the connection is made or fails.</summary>
    private int Connect(TurnFiveTuple fiveTuple, StunMessageReader request, in TurnAuth auth, Span<byte> response)
    {
        // No allocation on this connection → 437; another user's → 441 (as for every request on an allocation).
        if (!TryOwnAllocation(fiveTuple, request, auth, response, out var allocation, out int refusal))
        {
            return refusal;
        }
        // A UDP allocation has no TCP relayed address to connect from.
        if (allocation.Tcp is not { } relay
            || !request.TryGetAttribute(StunAttributeType.XorPeerAddress, out var value)
            || !XorAddress.TryRead(value, request.Message, out var peer))
        {
            return Refused(request, fiveTuple, StunErrorCodes.BadRequest, auth, response);
        }
        // The same peer-address policy as UDP relaying: 403 for loopback, private… unless allowed; 443 for the wrong family.
        int code = CheckPeer(allocation, peer);
        if (code != 0)
        {
            return Refused(request, fiveTuple, code, auth, response);
        }
        var connection = Register(allocation, relay, peer, fromConnect: true, out var admission);
        if (connection is null)
        {
            if (admission == TcpRelayAdmission.Full)
            {
                _metrics.QuotaRejected("tcp_connections");
            }
            code = admission switch
            {
                TcpRelayAdmission.Duplicate => StunErrorCodes.ConnectionAlreadyExists,
                TcpRelayAdmission.Full => StunErrorCodes.InsufficientCapacity,
                _ => StunErrorCodes.AllocationMismatch,
            };
            return Refused(request, fiveTuple, code, auth, response);
        }
        _ = ConnectPeerAsync(connection, request.Type, request.TransactionId, auth);
        return 0;
    }

    private async Task ConnectPeerAsync(TcpRelayConnection connection, StunMessageType requestType, TransactionId transaction, TurnAuth auth)
    {
        Socket? socket = null;
        try
        {
            using (var timeout = new CancellationTokenSource(_options.TcpConnectTimeout, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, connection.ClosingToken))
            {
                socket = connection.Relay.CreateOutbound(sharePort: true);
                try
                {
                    await socket.ConnectAsync(connection.Peer.ToEndPoint(), linked.Token).ConfigureAwait(false);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AddressNotAvailable)
                {
                    // The same four-tuple is still in TIME_WAIT from an earlier connection to this peer: connect
                    // from another port of the relay address rather than fail.
                    socket.Dispose();
                    socket = connection.Relay.CreateOutbound(sharePort: false);
                    await socket.ConnectAsync(connection.Peer.ToEndPoint(), linked.Token).ConfigureAwait(false);
                }
            }
            socket.NoDelay = true;
            if (!connection.BecomePending(socket, ConnectionBindTimeout))
            {
                // The allocation went while connecting; its control connection is gone or going.
                return;
            }
            socket = null;
            if (_logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
            {
                TurnServerLog.TcpConnectionOpened(_logger, connection.Relay.LocalAddress.ToEndPoint(), connection.Id, connection.Peer.ToEndPoint(), "connect");
            }
            SendConnectResult(connection.Allocation, requestType, transaction, auth, connection.Id);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            // RFC 6062 §5.2: the connection attempt failed or timed out → 447.
            if (_logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
            {
                TurnServerLog.TcpConnectFailed(_logger, connection.Relay.LocalAddress.ToEndPoint(), connection.Peer.ToEndPoint(), e.Message);
            }
            socket?.Dispose();
            connection.Close();
            SendConnectResult(connection.Allocation, requestType, transaction, auth, connectionId: null);
        }
#pragma warning disable CA1031 // A failing Connect must not go unobserved; the client gets a 500.
        catch (Exception e)
#pragma warning restore CA1031
        {
            TurnServerLog.HandlerFailed(_logger, e, StunMethod.Connect);
            socket?.Dispose();
            connection.Close();
        }
    }

    /// <summary>The Connect response, sent later on the control connection: success with CONNECTION-ID, or 447.</summary>
    private void SendConnectResult(TurnAllocation allocation, StunMessageType requestType, TransactionId transaction, in TurnAuth auth, uint? connectionId)
    {
        Span<byte> message = stackalloc byte[ControlMessageLength];
        var writer = new StunMessageWriter(message, requestType.ToResponse(success: connectionId is not null), transaction);
        if (connectionId is uint id)
        {
            writer.WriteConnectionId(id);
        }
        else
        {
            writer.WriteErrorCode(StunErrorCodes.ConnectionTimeoutOrFailure, StunErrorCodes.ReasonPhrase(StunErrorCodes.ConnectionTimeoutOrFailure));
            _metrics.ErrorResponse(StunErrorCodes.ConnectionTimeoutOrFailure);
        }
        int length = FinishSigned(ref writer, auth);
        allocation.Sender.Send(message[..length]);
    }

    private void StartAccepting(TurnAllocation allocation, TcpRelay relay) =>
        _ = Task.Run(() => AcceptLoopAsync(allocation, relay), CancellationToken.None);

    private async Task AcceptLoopAsync(TurnAllocation allocation, TcpRelay relay)
    {
        var token = allocation.Closing.Token;
        while (!token.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await relay.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            AcceptPeer(allocation, relay, socket);
        }
    }

    /// <summary>RFC 6062 §5.3: a peer connected to the relayed address.</summary>
    private void AcceptPeer(TurnAllocation allocation, TcpRelay relay, Socket socket)
    {
        var peer = TurnAddress.FromEndPoint((IPEndPoint)socket.RemoteEndPoint!);
        bool permitted;
        lock (allocation.Sync)
        {
            permitted = allocation.HasPermission(peer, Now);
        }
        if (!permitted)
        {
            // No permission for the peer's IP: closed at once, and the client hears nothing.
            _metrics.Dropped("no_permission");
            socket.Dispose();
            return;
        }
        var connection = Register(allocation, relay, peer, fromConnect: false, out _);
        if (connection is null)
        {
            _metrics.Dropped("tcp_connections");
            socket.Dispose();
            return;
        }
        socket.NoDelay = true;
        if (!connection.BecomePending(socket, ConnectionBindTimeout))
        {
            return;
        }
        if (_logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
        {
            TurnServerLog.TcpConnectionOpened(_logger, relay.LocalAddress.ToEndPoint(), connection.Id, peer.ToEndPoint(), "peer");
        }

        // ConnectionAttempt indication (RFC 6062 §4.4, §6.1): XOR-PEER-ADDRESS and CONNECTION-ID, over the control connection.
        Span<byte> message = stackalloc byte[ControlMessageLength];
        var writer = new StunMessageWriter(message, new StunMessageType(StunMethod.ConnectionAttempt, StunMessageClass.Indication), TransactionId.NewRandom());
        Span<byte> address = stackalloc byte[XorAddress.IPv6Length];
        int addressLength = XorAddress.Write(address, message, peer);
        writer.WriteAttribute(StunAttributeType.XorPeerAddress, address[..addressLength]);
        writer.WriteConnectionId(connection.Id);
        FinishUnsigned(ref writer);
        if (!allocation.Sender.Send(message[..writer.Length]))
        {
            connection.Close();
        }
    }

    /// <summary>RFC 6062 §5.4: turns this (new) client connection into the data connection of a pending peer connection.</summary>
    private int ConnectionBind(ITurnClientLink link, TurnFiveTuple fiveTuple, StunMessageReader request, in TurnAuth auth, Span<byte> response)
    {
        // Only over TCP/TLS, never on a connection that holds an allocation (it is the control connection), and
        // CONNECTION-ID must name a pending peer connection: otherwise 400.
        if (!fiveTuple.IsStream || Find(fiveTuple) is not null
            || !request.TryGetConnectionId(out uint id) || !_tcpConnections.TryGetValue(id, out var connection))
        {
            return Refused(request, fiveTuple, StunErrorCodes.BadRequest, auth, response);
        }
        // Another user's connection: 441, as for a request on another user's allocation (RFC 8656 §7.3).
        if (!string.Equals(connection.Allocation.Username, auth.Username, StringComparison.Ordinal))
        {
            return Refused(request, fiveTuple, StunErrorCodes.WrongCredentials, auth, response);
        }
        if (!connection.TryBind())
        {
            return Refused(request, fiveTuple, StunErrorCodes.BadRequest, auth, response);
        }
        if (!link.HandOff((stream, stopping) => connection.PipeAsync(stream, stopping)))
        {
            connection.Close();
            return Refused(request, fiveTuple, StunErrorCodes.BadRequest, auth, response);
        }
        if (_logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
        {
            TurnServerLog.TcpConnectionBound(_logger, connection.Relay.LocalAddress.ToEndPoint(), id, auth.Username);
        }
        var writer = new StunMessageWriter(response, request.Type.ToResponse(success: true), request.TransactionId);
        return FinishSigned(ref writer, auth);
    }

    /// <summary>A new peer connection with an unused random CONNECTION-ID (hard to guess), in both tables; null when the relay refused it.</summary>
    private TcpRelayConnection? Register(TurnAllocation allocation, TcpRelay relay, TurnAddress peer, bool fromConnect, out TcpRelayAdmission admission)
    {
        TcpRelayConnection connection;
        do
        {
            uint id = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
            connection = new TcpRelayConnection(id, allocation, relay, peer, fromConnect, _metrics, _time, c => _tcpConnections.TryRemove(c.Id, out _));
        }
        while (!_tcpConnections.TryAdd(connection.Id, connection));
        admission = relay.TryAdd(connection);
        if (admission != TcpRelayAdmission.Added)
        {
            _tcpConnections.TryRemove(connection.Id, out _);
            return null;
        }
        return connection;
    }
}
