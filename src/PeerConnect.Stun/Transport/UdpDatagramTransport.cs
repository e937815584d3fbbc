using System.Net;
using System.Net.Sockets;

namespace PeerConnect.Stun.Transport;

/// <summary>An <see cref="IDatagramTransport"/> over one UDP socket (IPv4 or IPv6).</summary>
public sealed class UdpDatagramTransport : IDatagramTransport
{
    private readonly Socket _socket;
    private readonly IPEndPoint _anyRemote;

    private UdpDatagramTransport(Socket socket)
    {
        _socket = socket;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _anyRemote = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
    }

    /// <inheritdoc />
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Opens a UDP socket bound to <paramref name="localEndPoint"/> (port 0 picks a free port).</summary>
    /// <param name="localEndPoint">The local address and port; its family decides IPv4 or IPv6.</param>
    public static UdpDatagramTransport Bind(IPEndPoint localEndPoint)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        var socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (localEndPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // IPv4-mapped addresses would leak into STUN attributes; keep the families apart.
                socket.DualMode = false;
            }
            socket.Bind(localEndPoint);
            return new UdpDatagramTransport(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Opens a UDP socket on an ephemeral port of the wildcard address of <paramref name="family"/>.</summary>
    /// <param name="family">IPv4 or IPv6.</param>
    public static UdpDatagramTransport BindAny(AddressFamily family) =>
        Bind(new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));

    /// <inheritdoc />
    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken = default) =>
        await _socket.SendToAsync(datagram, SocketFlags.None, remote, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                var result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, _anyRemote, cancellationToken).ConfigureAwait(false);
                return new DatagramReceiveResult(result.ReceivedBytes, (IPEndPoint)result.RemoteEndPoint);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.MessageSize)
            {
                // An ICMP error for an earlier send or an oversized datagram concerns one packet, not the socket.
            }
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
