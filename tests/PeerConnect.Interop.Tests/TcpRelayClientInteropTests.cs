using System.Net;
using System.Net.Sockets;
using PeerConnect.Stun.Transport;
using PeerConnect.Turn.Client;

namespace PeerConnect.Interop.Tests;

/// <summary>
/// Our TCP-relay client (RFC 6062) against coturn 4.6.1 on loopback, which relays TCP unless started with
/// <c>no-tcp-relay</c>: Connect to a TCP echo peer, and a peer dialling the relayed address.
/// </summary>
public sealed class TcpRelayClientInteropTests
{
    private const string Realm = "example.org";
    private const string User = "alice";
    private const string Password = "secret";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task OurClientConnectsThroughCoturnToAnEchoPeer()
    {
        using CoturnServer coturn = await StartCoturnAsync();
        await using var peer = new TcpEchoPeer();
        await using var client = await TurnTcpRelayClient.ConnectAsync(Options(coturn)).WaitAsync(Patience);
        var allocation = await client.AllocateAsync().WaitAsync(Patience);
        Assert.Equal(IPAddress.Loopback, allocation.RelayedEndPoint.Address);

        var connection = await client.ConnectPeerAsync(peer.EndPoint).WaitAsync(Patience);
        await using (connection.Stream)
        {
            await TcpRelayExchange.EchoAsync(connection.Stream, 256 * 1024);
        }
        Assert.Equal(1, peer.Accepted);
    }

    [Fact]
    public async Task PeerDiallingCoturnsRelayedAddressReachesOurClient()
    {
        using CoturnServer coturn = await StartCoturnAsync();
        await using var client = await TurnTcpRelayClient.ConnectAsync(Options(coturn)).WaitAsync(Patience);
        var dialled = await TcpRelayExchange.DialRelayedAddressAsync(client);
        using var peer = dialled.Peer;
        var accepted = dialled.Accepted;
        await using var peerStream = new NetworkStream(peer, ownsSocket: false);
        await using (accepted.Stream)
        {
            await TcpRelayExchange.ExchangeBothWaysAsync(accepted.Stream, peerStream, 50_000);
        }
    }

    private static Task<CoturnServer> StartCoturnAsync() =>
        CoturnServer.StartAsync(IPAddress.Loopback, extraConfiguration: ["lt-cred-mech", $"user={User}:{Password}", $"realm={Realm}", "allow-loopback-peers"]);

    private static TurnClientOptions Options(CoturnServer coturn) => new()
    {
        Server = coturn.EndPoint,
        Transport = StunTransportProtocol.Tcp,
        Username = User,
        Password = Password,
    };
}
