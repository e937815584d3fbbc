using System.Net;
using PeerConnect.Stun.Transport;
using PeerConnect.Testing;
using PeerConnect.Turn.Client;
using PeerConnect.Turn.Server;

namespace PeerConnect.Interop.Tests;

/// <summary>
/// Our TURN client against our TURN server, both in this process on loopback: allocation (RFC 8656 §7), permissions
/// (§9), Send/Data indications (§10) and channels (§11–12) with a UDP echo peer, over UDP, TCP and TLS to the server,
/// with a static user and with TURN REST credentials.
/// </summary>
public sealed class TurnClientAgainstOurServerTests : IAsyncLifetime
{
    private const string User = "alice";
    private const string Password = "secret";
    private const string Secret = "rest-shared-secret";

    private LoopbackTurnServer _server = null!;

    public static TheoryData<StunTransportProtocol, bool> Cases => new()
    {
        { StunTransportProtocol.Udp, false },
        { StunTransportProtocol.Udp, true },
        { StunTransportProtocol.Tcp, false },
        { StunTransportProtocol.Tcp, true },
        { StunTransportProtocol.Tls, false },
        { StunTransportProtocol.Tls, true },
    };

    public async Task InitializeAsync()
    {
        _server = await LoopbackTurnServer.StartAsync(new Dictionary<string, string> { [User] = Password }, Secret);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task OurClientRelaysThroughOurServerToAnEchoPeer(StunTransportProtocol transport, bool restCredentials)
    {
        await using var peer = new UdpEchoPeer();
        TurnClientOptions options = new()
        {
            Server = ServerEndPoint(transport),
            Transport = transport,
            TlsServerName = "localhost",
            // The server's certificate is self-signed for this test only.
            TlsCertificateValidation = _server.TrustsCertificate,
            Username = restCredentials ? null : User,
            Password = restCredentials ? null : Password,
            RestSecret = restCredentials ? Secret : null,
            RestUserId = restCredentials ? "bob" : null,
        };

        await using TurnClient client = await TurnClient.ConnectAsync(options).WaitAsync(RelayEcho.Patience);
        TurnAllocation allocation = await client.AllocateAsync().WaitAsync(RelayEcho.Patience);
        Assert.Equal(IPAddress.Loopback, allocation.RelayedEndPoint.Address);
        Assert.Equal(client.LocalEndPoint, allocation.MappedEndPoint);
        Assert.Equal(1, _server.Turn.AllocationCount);

        // Permission first, then Send indications out and Data indications back (no channel yet).
        await client.CreatePermissionAsync([peer.EndPoint]).WaitAsync(RelayEcho.Patience);
        await RelayEcho.EchoAsync(client.Relay, peer.EndPoint, "indication", count: 10);

        // ChannelData both ways once bound; odd lengths exercise the padding over TCP and TLS (RFC 8656 §12.5).
        ushort channel = await client.BindChannelAsync(peer.EndPoint).WaitAsync(RelayEcho.Patience);
        Assert.InRange(channel, 0x4000, 0x4FFF);
        await RelayEcho.EchoAsync(client.Relay, peer.EndPoint, "channel", count: 20);
        Assert.Equal(0, client.DroppedDatagrams);

        // Closing deletes the allocation (Refresh with LIFETIME 0, RFC 8656 §7.2).
        await client.DisposeAsync();
        Assert.Equal(0, _server.Turn.AllocationCount);
    }

    private IPEndPoint ServerEndPoint(StunTransportProtocol transport) => transport switch
    {
        StunTransportProtocol.Udp => _server.Stun.UdpEndPoints.Single(),
        StunTransportProtocol.Tcp => _server.Stun.TcpEndPoints.Single(),
        _ => _server.Stun.TlsEndPoints.Single(),
    };
}
