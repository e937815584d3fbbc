using System.Net;
using System.Net.Sockets;
using PeerConnect.Stun.Transport;
using PeerConnect.Turn.Client;

namespace PeerConnect.Turn.Tests.Client;

/// <summary>The TCP-relay client's own rules (RFC 6062 §4); its exchanges with servers are in the interop tests.</summary>
public sealed class TurnTcpRelayClientTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task UdpToTheServerIsRefused()
    {
        // RFC 6062 §4.1: TCP allocations are requested over TCP or TLS only.
        var options = new TurnClientOptions { Server = new IPEndPoint(IPAddress.Loopback, 3478), Transport = StunTransportProtocol.Udp, Username = "u", Password = "p" };
        await Assert.ThrowsAsync<ArgumentException>(() => TurnTcpRelayClient.ConnectAsync(options));
    }

    [Fact]
    public async Task AControlConnectionClosedByTheServerFailsAcceptWithAllocationLost()
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var options = new TurnClientOptions { Server = (IPEndPoint)server.LocalEndpoint, Transport = StunTransportProtocol.Tcp, Username = "u", Password = "p" };
        await using var client = await TurnTcpRelayClient.ConnectAsync(options).WaitAsync(Patience);
        using (await server.AcceptSocketAsync().WaitAsync(Patience))
        {
        }
        await Assert.ThrowsAsync<TurnAllocationLostException>(() => client.AcceptPeerAsync().WaitAsync(Patience));
        await Assert.ThrowsAsync<TurnAllocationLostException>(() => client.AllocateAsync().WaitAsync(Patience));
    }
}
