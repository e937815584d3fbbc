using System.Buffers.Binary;
using System.Net;
using PeerConnect.Ice.Network;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Ice.Tests.VirtualNetwork;

/// <summary>
/// A stand-in for a TURN server until the real TurnClient/TurnRelayTransport land on main: it keeps what ICE
/// depends on — a relayed address on a public host, IP-only permissions installed by sending (RFC 8656 §9), and
/// traffic to and from the client through the client's NAT — and none of TURN's wire format or authentication.
/// Frames between client and relay, private to the two test classes:
/// <code>
///  0                   1                   2                   3
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 peer IPv4 address (0 = allocate)              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |          peer port            |   payload ...                 |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// An allocate answer carries the relayed address as "peer" and the client's mapped address as payload.
/// </summary>
public sealed class VirtualTurnRelay : IAsyncDisposable
{
    internal const int HeaderLength = 6;
    private readonly VirtualHost _host;
    private readonly VirtualSocket _control;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly Dictionary<IPEndPoint, VirtualSocket> _allocations = [];

    public VirtualTurnRelay(VirtualHost host, int port = 3478)
    {
        _host = host;
        _control = host.Bind(port);
        _loops.Add(Task.Run(ControlLoopAsync));
    }

    public IPEndPoint EndPoint => _control.LocalEndPoint;

    /// <summary>Datagrams relayed in either direction.</summary>
    public int Relayed => Volatile.Read(ref _relayed);

    private int _relayed;

    public IIceRelayProvider ProviderFor(VirtualHost client) => new Provider(client, EndPoint);

    private async Task ControlLoopAsync()
    {
        var buffer = new byte[2048];
        try
        {
            while (true)
            {
                var r = await _control.ReceiveAsync(buffer, _stop.Token);
                var (peer, payload) = ReadFrame(buffer.AsSpan(0, r.Count));
                VirtualSocket? relay;
                lock (_allocations)
                {
                    _allocations.TryGetValue(r.RemoteEndPoint, out relay);
                }

                if (peer.Port == 0)
                {
                    if (relay is null)
                    {
                        relay = _host.Bind(0);
                        lock (_allocations)
                        {
                            _allocations.Add(r.RemoteEndPoint, relay);
                        }

                        var client = r.RemoteEndPoint;
                        _loops.Add(Task.Run(() => RelayLoopAsync(relay, client)));
                    }

                    var mapped = new byte[6];
                    WriteEndPoint(mapped, r.RemoteEndPoint);
                    await _control.SendAsync(Frame(relay.LocalEndPoint, mapped), r.RemoteEndPoint);
                }
                else if (relay is not null)
                {
                    lock (_allocations)
                    {
                        Permissions.Add((relay, peer.Address));
                    }

                    Interlocked.Increment(ref _relayed);
                    await relay.SendAsync(payload.ToArray(), peer);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private HashSet<(VirtualSocket, IPAddress)> Permissions { get; } = [];

    private async Task RelayLoopAsync(VirtualSocket relay, IPEndPoint client)
    {
        var buffer = new byte[2048];
        try
        {
            while (true)
            {
                var r = await relay.ReceiveAsync(buffer, _stop.Token);
                bool permitted;
                lock (_allocations)
                {
                    permitted = Permissions.Contains((relay, r.RemoteEndPoint.Address));
                }

                if (permitted)
                {
                    Interlocked.Increment(ref _relayed);
                    await _control.SendAsync(Frame(r.RemoteEndPoint, buffer.AsSpan(0, r.Count)), client);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    internal static byte[] Frame(IPEndPoint peer, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderLength + payload.Length];
        WriteEndPoint(frame, peer);
        payload.CopyTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    internal static (IPEndPoint Peer, ReadOnlyMemory<byte> Payload) ReadFrame(ReadOnlySpan<byte> frame) =>
        (ReadEndPoint(frame), frame[HeaderLength..].ToArray());

    internal static void WriteEndPoint(Span<byte> destination, IPEndPoint endPoint)
    {
        endPoint.Address.TryWriteBytes(destination, out _);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)endPoint.Port);
    }

    internal static IPEndPoint ReadEndPoint(ReadOnlySpan<byte> source) =>
        new(new IPAddress(source[..4]), BinaryPrimitives.ReadUInt16BigEndian(source[4..]));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }

    private sealed class Provider(VirtualHost client, IPEndPoint server) : IIceRelayProvider
    {
        public async ValueTask<IceRelayAllocation?> AllocateAsync(CancellationToken cancellationToken)
        {
            var socket = client.Bind(0);
            await socket.SendAsync(Frame(new IPEndPoint(IPAddress.Any, 0), []), server, cancellationToken);
            var buffer = new byte[64];
            var r = await socket.ReceiveAsync(buffer, cancellationToken);
            var relayed = ReadEndPoint(buffer);
            var mapped = ReadEndPoint(buffer.AsSpan(HeaderLength));
            return new IceRelayAllocation(new RelayTransport(socket, server, relayed), relayed, mapped, server, IceRelayProtocol.Udp);
        }
    }

    private sealed class RelayTransport(VirtualSocket socket, IPEndPoint server, IPEndPoint relayed) : IDatagramTransport
    {
        public IPEndPoint LocalEndPoint => relayed;

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken = default) =>
            socket.SendAsync(Frame((IPEndPoint)remote, datagram.Span), server, cancellationToken);

        public async ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var frame = new byte[2048];
            var r = await socket.ReceiveAsync(frame, cancellationToken);
            var (peer, payload) = ReadFrame(frame.AsSpan(0, r.Count));
            int count = Math.Min(payload.Length, buffer.Length);
            payload.Span[..count].CopyTo(buffer.Span);
            return new DatagramReceiveResult(count, peer);
        }

        public ValueTask DisposeAsync() => socket.DisposeAsync();
    }
}
