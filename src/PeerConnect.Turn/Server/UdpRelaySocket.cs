using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace PeerConnect.Turn.Server;

/// <summary>
/// A relay socket over a real UDP socket. Receive and send go through <see cref="SocketAddress"/> buffers that are
/// reused, so relaying allocates nothing; the peer address is read from and written into the C sockaddr layout
/// (RFC 3493 §3.3, §3.4) that <see cref="SocketAddress"/> holds:
/// <code>
/// sockaddr_in:   | family (2) | port (2, network order) | IPv4 address (4) | zero (8)          |
/// sockaddr_in6:  | family (2) | port (2, network order) | flow info (4)    | IPv6 address (16) | scope id (4) |
/// </code>
/// </summary>
internal sealed class UdpRelaySocket : ITurnRelaySocket
{
    private const int PortOffset = 2;
    private const int IPv4AddressOffset = 4;
    private const int IPv6AddressOffset = 8;

    private readonly Socket _socket;
    private readonly SocketAddress _receiveFrom;
    private readonly Lock _sendLock = new();
    private readonly SocketAddress _sendTo;
    private bool _dontFragment;

    public UdpRelaySocket(Socket socket)
    {
        _socket = socket;
        LocalAddress = TurnAddress.FromEndPoint((IPEndPoint)socket.LocalEndPoint!);
        _receiveFrom = new SocketAddress(socket.AddressFamily);
        _sendTo = new SocketAddress(socket.AddressFamily);
    }

    public TurnAddress LocalAddress { get; }

    /// <summary>The socket itself, for the shared receive threads.</summary>
    internal Socket Socket => _socket;

    /// <summary>Set when a <see cref="RelayReceiveThreads"/> thread reads this socket; disposed with it.</summary>
    internal IDisposable? Registration { get; set; }

    public bool Send(ReadOnlySpan<byte> datagram, TurnAddress peer, bool dontFragment)
    {
        if (peer.IsIPv4 != LocalAddress.IsIPv4)
        {
            return false;
        }
        // The lock guards the shared destination address; sends to one allocation are rarely concurrent.
        lock (_sendLock)
        {
            try
            {
                if (dontFragment != _dontFragment && LocalAddress.IsIPv4)
                {
                    _socket.DontFragment = dontFragment;
                    _dontFragment = dontFragment;
                }
                Write(peer, _sendTo);
                return _socket.SendTo(datagram, SocketFlags.None, _sendTo) == datagram.Length;
            }
            catch (SocketException)
            {
                return false;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }

    public async ValueTask<TurnRelayReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            int count = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, _receiveFrom, cancellationToken).ConfigureAwait(false);
            if (TryRead(_receiveFrom.Buffer.Span[.._receiveFrom.Size], _receiveFrom.Family, out var peer))
            {
                return new TurnRelayReceiveResult(count, peer);
            }
        }
    }

    public void Dispose()
    {
        // Out of the epoll set first, so no receive thread picks up a descriptor number about to be reused.
        Registration?.Dispose();
        _socket.Dispose();
    }

    /// <summary>Reads the peer from a raw sockaddr of a socket of <paramref name="family"/>.</summary>
    internal static bool TryRead(ReadOnlySpan<byte> raw, AddressFamily family, out TurnAddress peer)
    {
        int port = raw.Length >= PortOffset + 2 ? BinaryPrimitives.ReadUInt16BigEndian(raw[PortOffset..]) : 0;
        switch (family)
        {
            case AddressFamily.InterNetwork when raw.Length >= IPv4AddressOffset + 4:
                peer = TurnAddress.FromBytes(raw.Slice(IPv4AddressOffset, 4), port);
                return true;
            case AddressFamily.InterNetworkV6 when raw.Length >= IPv6AddressOffset + 16:
                peer = TurnAddress.FromBytes(raw.Slice(IPv6AddressOffset, 16), port);
                return true;
            default:
                peer = default;
                return false;
        }
    }

    private static void Write(TurnAddress peer, SocketAddress destination)
    {
        Span<byte> raw = destination.Buffer.Span;
        BinaryPrimitives.WriteUInt16BigEndian(raw[PortOffset..], peer.Port);
        if (peer.IsIPv4)
        {
            peer.WriteAddress(raw[IPv4AddressOffset..]);
        }
        else
        {
            raw.Slice(4, 4).Clear();
            peer.WriteAddress(raw[IPv6AddressOffset..]);
            raw.Slice(IPv6AddressOffset + 16, 4).Clear();
        }
    }
}
