using System.Net;
using System.Net.Sockets;
using PeerConnect.Stun.Server;
using PeerConnect.Stun.Transport;
using PeerConnect.Testing;
using PeerConnect.Turn.Client;
using PeerConnect.Turn.Server;

namespace PeerConnect.Interop.Tests;

/// <summary>
/// Our TCP-relay client against our TURN server on loopback (RFC 6062): Connect to a TCP echo peer, and a peer
/// dialling the relayed address (ConnectionAttempt → ConnectionBind), over TCP and TLS control connections.
/// </summary>
public sealed class TcpRelayAgainstOurServerTests : IAsyncLifetime
{
    private const string User = "alice";
    private const string Password = "secret";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private LoopbackTurnServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await LoopbackTurnServer.StartAsync(new Dictionary<string, string> { [User] = Password });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
    }

    [Theory]
    [InlineData(StunTransportProtocol.Tcp)]
    [InlineData(StunTransportProtocol.Tls)]
    public async Task ConnectToAnEchoPeerRelaysBytesBothWays(StunTransportProtocol transport)
    {
        await using var peer = new TcpEchoPeer();
        await using var client = await TurnTcpRelayClient.ConnectAsync(Options(transport)).WaitAsync(Patience);
        var allocation = await client.AllocateAsync().WaitAsync(Patience);
        Assert.Equal(IPAddress.Loopback, allocation.RelayedEndPoint.Address);

        var connection = await client.ConnectPeerAsync(peer.EndPoint).WaitAsync(Patience);
        await using (connection.Stream)
        {
            Assert.Equal(peer.EndPoint, connection.Peer);
            await TcpRelayExchange.EchoAsync(connection.Stream, 256 * 1024);
        }

        // Connect to the same peer again once the first connection is gone: a fresh CONNECTION-ID.
        var again = await ConnectWhenFreeAsync(client, peer.EndPoint);
        await using (again.Stream)
        {
            Assert.NotEqual(connection.ConnectionId, again.ConnectionId);
            await TcpRelayExchange.EchoAsync(again.Stream, 1000);
        }
    }

    [Theory]
    [InlineData(StunTransportProtocol.Tcp)]
    [InlineData(StunTransportProtocol.Tls)]
    public async Task PeerDiallingTheRelayedAddressIsAnnouncedBoundAndRelayed(StunTransportProtocol transport)
    {
        await using var client = await TurnTcpRelayClient.ConnectAsync(Options(transport)).WaitAsync(Patience);
        var dialled = await TcpRelayExchange.DialRelayedAddressAsync(client);
        using var peer = dialled.Peer;
        var accepted = dialled.Accepted;
        await using var peerStream = new NetworkStream(peer, ownsSocket: false);
        await TcpRelayExchange.ExchangeBothWaysAsync(accepted.Stream, peerStream, 100_000);

        // The peer closing closes the client's data connection (RFC 6062 §5.5).
        peer.Shutdown(SocketShutdown.Both);
        Assert.Equal(0, await accepted.Stream.ReadAsync(new byte[16]).AsTask().WaitAsync(Patience));
        await accepted.Stream.DisposeAsync();
    }

    [Fact]
    public async Task ClosingTheClientDeletesTheAllocationAndItsDataConnections()
    {
        await using var peer = new TcpEchoPeer();
        var client = await TurnTcpRelayClient.ConnectAsync(Options(StunTransportProtocol.Tcp)).WaitAsync(Patience);
        await client.AllocateAsync().WaitAsync(Patience);
        var connection = await client.ConnectPeerAsync(peer.EndPoint).WaitAsync(Patience);
        Assert.Equal(1, _server.Turn.AllocationCount);

        await client.DisposeAsync();
        Assert.Equal(0, _server.Turn.AllocationCount);
        Assert.Equal(0, await connection.Stream.ReadAsync(new byte[16]).AsTask().WaitAsync(Patience));
        await connection.Stream.DisposeAsync();
    }

    [Fact]
    public async Task AQuietControlConnectionOutlivesTheListenersIdleTimeout()
    {
        // Data flows on the data connection while the control connection says nothing: the allocation, not the
        // listener's idle timeout (here 1 s), decides how long the control connection lives.
        await using var turn = new TurnServer(new TurnServerOptions
        {
            Users = new Dictionary<string, string> { [User] = Password },
            AllowLoopbackPeers = true,
            RelayAddress = IPAddress.Loopback,
        });
        await using var stun = new StunServer(
            new StunServerOptions { ListenAddresses = [IPAddress.Loopback], Port = 0, StreamIdleTimeout = TimeSpan.FromSeconds(1), ReceiveLoops = 1 },
            packetHandler: new TurnPacketHandler(turn));
        await stun.StartAsync();
        await using var peer = new TcpEchoPeer();
        await using var client = await TurnTcpRelayClient.ConnectAsync(Options(StunTransportProtocol.Tcp) with { Server = stun.TcpEndPoints.Single() }).WaitAsync(Patience);
        await client.AllocateAsync().WaitAsync(Patience);
        var connection = await client.ConnectPeerAsync(peer.EndPoint).WaitAsync(Patience);
        await using (connection.Stream)
        {
            for (int i = 0; i < 3; i++)
            {
                await Task.Delay(TimeSpan.FromSeconds(1.5));
                await TcpRelayExchange.EchoAsync(connection.Stream, 1000);
            }
        }
        Assert.Equal(1, turn.AllocationCount);
    }

    private TurnClientOptions Options(StunTransportProtocol transport) => new()
    {
        Server = transport == StunTransportProtocol.Tls ? _server.Stun.TlsEndPoints.Single() : _server.Stun.TcpEndPoints.Single(),
        Transport = transport,
        TlsServerName = "localhost",
        // The server's certificate is self-signed for this test only.
        TlsCertificateValidation = _server.TrustsCertificate,
        Username = User,
        Password = Password,
    };

    /// <summary>The server closes the first connection's peer side a moment after the client's; until then a Connect gets 446.</summary>
    private static async Task<TurnTcpPeerConnection> ConnectWhenFreeAsync(TurnTcpRelayClient client, IPEndPoint peer)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await client.ConnectPeerAsync(peer).WaitAsync(Patience);
            }
            catch (PeerConnect.Stun.Client.StunErrorResponseException e) when (e.ErrorCode == 446 && attempt < 50)
            {
                await Task.Delay(100);
            }
        }
    }
}
