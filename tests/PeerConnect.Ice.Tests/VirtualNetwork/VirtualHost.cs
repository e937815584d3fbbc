using System.Net;
using System.Threading.Channels;
using PeerConnect.Ice.Network;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Ice.Tests.VirtualNetwork;

/// <summary>A machine with one address, on the public network or behind a <see cref="VirtualRouter"/>.</summary>
public sealed class VirtualHost : IIceSocketFactory
{
    private readonly VirtualNet _net;
    private readonly VirtualRouter? _router;
    private readonly Dictionary<int, VirtualSocket> _sockets = [];
    private int _nextPort = 10000;

    internal VirtualHost(VirtualNet net, IPAddress address, VirtualRouter? router)
    {
        _net = net;
        Address = address;
        _router = router;
    }

    public IPAddress Address { get; }

    public IReadOnlyList<IPAddress> GetHostAddresses(bool includeLoopback) => [Address];

    public IDatagramTransport BindUdp(IPAddress address) => Bind(0);

    public VirtualSocket Bind(int port)
    {
        lock (_net.Gate)
        {
            if (port == 0)
            {
                port = _nextPort++;
            }

            var socket = new VirtualSocket(this, new IPEndPoint(Address, port));
            _sockets.Add(port, socket);
            return socket;
        }
    }

    internal void Send(IPEndPoint source, IPEndPoint destination, byte[] data)
    {
        lock (_net.Gate)
        {
            if (destination.Address.Equals(Address))
            {
                Deliver(destination.Port, source, data);
            }
            else if (_router is not null)
            {
                _router.Outbound(source, destination, data);
            }
            else
            {
                _net.DeliverPublic(source, destination, data);
            }
        }
    }

    internal void Deliver(int port, IPEndPoint source, byte[] data)
    {
        if (_sockets.TryGetValue(port, out var socket))
        {
            socket.Enqueue(source, data);
        }
    }

    internal void Close(VirtualSocket socket)
    {
        lock (_net.Gate)
        {
            _sockets.Remove(socket.LocalEndPoint.Port);
        }
    }

    internal VirtualNet Net => _net;
}

/// <summary>A UDP socket on a <see cref="VirtualHost"/>.</summary>
public sealed class VirtualSocket : IDatagramTransport
{
    private readonly VirtualHost _host;
    private readonly Channel<(IPEndPoint From, byte[] Data)> _inbox = Channel.CreateUnbounded<(IPEndPoint, byte[])>();

    internal VirtualSocket(VirtualHost host, IPEndPoint local)
    {
        _host = host;
        LocalEndPoint = local;
    }

    public IPEndPoint LocalEndPoint { get; }

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken = default)
    {
        _host.Send(LocalEndPoint, (IPEndPoint)remote, datagram.ToArray());
        return ValueTask.CompletedTask;
    }

    public async ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var (from, data) = await _inbox.Reader.ReadAsync(cancellationToken);
        int count = Math.Min(buffer.Length, data.Length);
        data.AsSpan(0, count).CopyTo(buffer.Span);
        // Counted as delivered only once read: the reader has the datagram in hand and will post it on.
        _host.Net.Dequeued();
        return new DatagramReceiveResult(count, from);
    }

    internal void Enqueue(IPEndPoint from, byte[] data)
    {
        _host.Net.Enqueued();
        if (!_inbox.Writer.TryWrite((from, data)))
        {
            _host.Net.Dequeued();
        }
    }

    public ValueTask DisposeAsync()
    {
        _host.Close(this);
        while (_inbox.Reader.TryRead(out _))
        {
            _host.Net.Dequeued();
        }

        _inbox.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }
}
