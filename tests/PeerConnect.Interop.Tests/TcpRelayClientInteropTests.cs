using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
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
            await TcpRelayAgainstOurServerTests.EchoAsync(connection.Stream, 256 * 1024);
        }
        Assert.Equal(1, peer.Accepted);
    }

    [Fact]
    public async Task PeerDiallingCoturnsRelayedAddressReachesOurClient()
    {
        using CoturnServer coturn = await StartCoturnAsync();
        await using var client = await TurnTcpRelayClient.ConnectAsync(Options(coturn)).WaitAsync(Patience);
        var allocation = await client.AllocateAsync().WaitAsync(Patience);
        await client.CreatePermissionAsync(new IPEndPoint(IPAddress.Loopback, 0)).WaitAsync(Patience);

        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(allocation.RelayedEndPoint).WaitAsync(Patience);
        var accepted = await client.AcceptPeerAsync().WaitAsync(Patience);
        Assert.Equal(peer.LocalEndPoint, accepted.Peer);

        await using var peerStream = new NetworkStream(peer, ownsSocket: false);
        await using (accepted.Stream)
        {
            byte[] toPeer = RandomNumberGenerator.GetBytes(50_000);
            byte[] toClient = RandomNumberGenerator.GetBytes(50_000);
            var sending = Task.WhenAll(accepted.Stream.WriteAsync(toPeer).AsTask(), peerStream.WriteAsync(toClient).AsTask());
            Assert.Equal(toPeer, await TcpRelayAgainstOurServerTests.ReadExactlyAsync(peerStream, toPeer.Length));
            Assert.Equal(toClient, await TcpRelayAgainstOurServerTests.ReadExactlyAsync(accepted.Stream, toClient.Length));
            await sending.WaitAsync(Patience);
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
