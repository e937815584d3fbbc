using System.Net;
using System.Net.Sockets;

namespace PeerConnect.Turn.Server;

/// <summary>What <see cref="TcpRelay.TryAdd"/> decided.</summary>
internal enum TcpRelayAdmission
{
    /// <summary>Registered.</summary>
    Added,

    /// <summary>A Connect to the same peer is in progress, pending or active (RFC 6062 §5.2: 446).</summary>
    Duplicate,

    /// <summary>The allocation holds <see cref="TurnServerOptions.MaxTcpConnectionsPerAllocation"/> already.</summary>
    Full,

    /// <summary>The allocation is gone.</summary>
    Closed,
}

/// <summary>
/// The relayed transport address of a TCP allocation (RFC 6062 §5.1): a listening TCP socket peers connect to, and
/// the local endpoint of the server's outbound connections to peers (§5.2). It holds the allocation's peer data
/// connections, so deleting the allocation closes them all (§5.5).
/// </summary>
/// <remarks>
/// It is an <see cref="ITurnRelaySocket"/> so the allocation code that advertises, logs and family-checks relays
/// treats it like a UDP one; it carries no datagrams, so <see cref="Send"/> refuses (a Send indication on a TCP
/// allocation is dropped) and nobody runs a datagram loop on it.
/// </remarks>
internal sealed class TcpRelay : ITurnRelaySocket
{
    private const int MaxAttempts = 128;

    // Linux: SOL_SOCKET, SO_REUSEPORT. Lets the outbound sockets share the listener's port, as RFC 6062 §5.2 asks.
    private const int SolSocket = 1;
    private const int SoReusePort = 15;

    private readonly Socket _listener;
    private readonly Lock _sync = new();
    private readonly Dictionary<uint, TcpRelayConnection> _connections = [];
    private readonly int _maxConnections;
    private bool _closed;

    private TcpRelay(Socket listener, int maxConnections)
    {
        _listener = listener;
        _maxConnections = maxConnections;
        LocalAddress = TurnAddress.FromEndPoint((IPEndPoint)listener.LocalEndPoint!);
    }

    public TurnAddress LocalAddress { get; }

    /// <summary>Binds and listens at a random free port of the range (RFC 8656 §7.2, as for UDP relays); null when none is free.</summary>
    public static TcpRelay? Bind(IPAddress address, int min, int max, int maxConnections)
    {
        int span = max - min + 1;
        int start = Random.Shared.Next(span);
        for (int attempt = 0; attempt < Math.Min(MaxAttempts, span); attempt++)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (address.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    socket.DualMode = false;
                }
                // Bound before sharing is switched on, so the port is one nobody else holds; shared afterwards so
                // this relay's own outbound sockets can bind it too.
                socket.Bind(new IPEndPoint(address, min + ((start + attempt) % span)));
                ShareAddress(socket);
                socket.Listen(64);
                return new TcpRelay(socket, maxConnections);
            }
            catch (SocketException)
            {
                socket.Dispose();
            }
        }
        return null;
    }

    public bool Send(ReadOnlySpan<byte> datagram, TurnAddress peer, bool dontFragment) => false;

    public ValueTask<TurnRelayReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        throw new NotSupportedException("A TCP relayed address carries connections, not datagrams (RFC 6062).");

    /// <summary>The next peer connecting to the relayed address.</summary>
    public ValueTask<Socket> AcceptAsync(CancellationToken cancellationToken) => _listener.AcceptAsync(cancellationToken);

    /// <summary>
    /// A socket for a Connect, bound to the relayed transport address (RFC 6062 §5.2: "the local endpoint is the
    /// relayed transport address") when <paramref name="sharePort"/>, else to another port of the same address. When
    /// the port cannot be shared (no SO_REUSEPORT), it falls back to another port rather than fail the Connect.
    /// </summary>
    public Socket CreateOutbound(bool sharePort)
    {
        var local = (IPEndPoint)_listener.LocalEndPoint!;
        var socket = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (local.AddressFamily == AddressFamily.InterNetworkV6)
        {
            socket.DualMode = false;
        }
        if (sharePort)
        {
            try
            {
                ShareAddress(socket);
                socket.Bind(local);
                return socket;
            }
            catch (SocketException)
            {
                socket.Dispose();
                socket = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                if (local.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    socket.DualMode = false;
                }
            }
        }
        try
        {
            socket.Bind(new IPEndPoint(local.Address, 0));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Registers a connection; for a Connect, refuses a second one to the same peer address (§5.2).</summary>
    public TcpRelayAdmission TryAdd(TcpRelayConnection connection)
    {
        lock (_sync)
        {
            if (_closed)
            {
                return TcpRelayAdmission.Closed;
            }
            if (connection.FromConnect)
            {
                foreach (var existing in _connections.Values)
                {
                    if (existing.FromConnect && existing.Peer == connection.Peer)
                    {
                        return TcpRelayAdmission.Duplicate;
                    }
                }
            }
            if (_connections.Count >= _maxConnections)
            {
                return TcpRelayAdmission.Full;
            }
            _connections.Add(connection.Id, connection);
            return TcpRelayAdmission.Added;
        }
    }

    public void Remove(TcpRelayConnection connection)
    {
        lock (_sync)
        {
            _connections.Remove(connection.Id);
        }
    }

    public int ConnectionCount
    {
        get
        {
            lock (_sync)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>Stops listening and closes every data connection (RFC 6062 §5.5: they die with the allocation).</summary>
    public void Dispose()
    {
        TcpRelayConnection[] connections;
        lock (_sync)
        {
            if (_closed)
            {
                return;
            }
            _closed = true;
            connections = [.. _connections.Values];
            _connections.Clear();
        }
        _listener.Dispose();
        foreach (var connection in connections)
        {
            connection.Close();
        }
    }

    private static void ShareAddress(Socket socket)
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        if (OperatingSystem.IsLinux())
        {
            socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
        }
    }
}
