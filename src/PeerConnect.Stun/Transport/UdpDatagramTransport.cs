using System.Net;
using System.Net.Sockets;

namespace PeerConnect.Stun.Transport;

/// <summary>An <see cref="IDatagramTransport"/> over one UDP socket (IPv4 or IPv6).</summary>
/// <remarks>
/// Receiving allocates nothing on a steady flow: the source address is read into a reused
/// <see cref="SocketAddress"/>, and when its bytes equal the previous datagram's the previous
/// <see cref="IPEndPoint"/> is returned again (so callers must not mutate the endpoints they receive).
/// </remarks>
public sealed class UdpDatagramTransport : IDatagramTransport
{
    private readonly Socket _socket;
    private readonly IPEndPoint _anyRemote;
    private readonly int _addressSize;

    // One receive at a time takes the spare buffer; a concurrent one allocates its own.
    private SocketAddress? _spareAddress;

    // The last source seen: its raw sockaddr bytes and the endpoint built from them, published together.
    private LastRemote? _lastRemote;

    private UdpDatagramTransport(Socket socket)
    {
        _socket = socket;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _anyRemote = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        _addressSize = SocketAddress.GetMaximumAddressSize(socket.AddressFamily);
        _spareAddress = new SocketAddress(socket.AddressFamily, _addressSize);
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
        SocketAddress address = Interlocked.Exchange(ref _spareAddress, null) ?? new SocketAddress(_socket.AddressFamily, _addressSize);
        try
        {
            while (true)
            {
                try
                {
                    address.Size = _addressSize;
                    int received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, address, cancellationToken).ConfigureAwait(false);
                    return new DatagramReceiveResult(received, RemoteEndPoint(address));
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.MessageSize)
                {
                    // An ICMP error for an earlier send or an oversized datagram concerns one packet, not the socket.
                }
            }
        }
        finally
        {
            Volatile.Write(ref _spareAddress, address);
        }
    }

    private IPEndPoint RemoteEndPoint(SocketAddress address)
    {
        LastRemote? last = Volatile.Read(ref _lastRemote);
        if (last is not null && last.Address.Equals(address))
        {
            return last.EndPoint;
        }
        var endPoint = (IPEndPoint)_anyRemote.Create(address);
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
        Volatile.Write(ref _lastRemote, new LastRemote(copy, endPoint));
        return endPoint;
    }

    private sealed record LastRemote(SocketAddress Address, IPEndPoint EndPoint);

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
