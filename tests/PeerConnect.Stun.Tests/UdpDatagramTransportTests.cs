using System.Net;
using System.Net.Sockets;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Stun.Tests;

/// <summary>The UDP transport's receive path: the right source for every datagram, and no allocation on a steady flow.</summary>
public sealed class UdpDatagramTransportTests
{
    [Fact]
    public async Task EachDatagramCarriesItsOwnSource()
    {
        await using var transport = UdpDatagramTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var a = Sender();
        using var b = Sender();
        var buffer = new byte[64];

        a.SendTo("a1"u8, transport.LocalEndPoint);
        a.SendTo("a2"u8, transport.LocalEndPoint);
        b.SendTo("b1"u8, transport.LocalEndPoint);
        a.SendTo("a3"u8, transport.LocalEndPoint);

        var a1 = await transport.ReceiveAsync(buffer);
        Assert.Equal(a.LocalEndPoint, a1.RemoteEndPoint);
        var a2 = await transport.ReceiveAsync(buffer);
        Assert.Same(a1.RemoteEndPoint, a2.RemoteEndPoint);
        var b1 = await transport.ReceiveAsync(buffer);
        Assert.Equal(b.LocalEndPoint, b1.RemoteEndPoint);
        var a3 = await transport.ReceiveAsync(buffer);
        Assert.Equal(a.LocalEndPoint, a3.RemoteEndPoint);
        Assert.Equal("a3"u8.ToArray(), buffer[..a3.Count]);
    }

    [Fact]
    public async Task SteadyFlowFromOneSourceAllocatesNothingPerDatagram()
    {
        await using var transport = UdpDatagramTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var sender = Sender();
        var payload = new byte[100];
        var buffer = new byte[2048];

        // Datagrams already queued make every receive complete synchronously on this thread, so the thread's
        // allocation counter sees the transport's work and nothing else.
        long ReceiveQueued(int count)
        {
            for (int i = 0; i < count; i++)
            {
                sender.SendTo(payload, transport.LocalEndPoint);
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < count; i++)
            {
                ValueTask<DatagramReceiveResult> receive = transport.ReceiveAsync(buffer);
                if (!receive.IsCompletedSuccessfully || receive.Result.Count != payload.Length)
                {
                    throw new InvalidOperationException("A queued datagram was not received synchronously.");
                }
            }
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        ReceiveQueued(20);
        Assert.Equal(0, ReceiveQueued(100));
    }

    private static Socket Sender()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }
}
