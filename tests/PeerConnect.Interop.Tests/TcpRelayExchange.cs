using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using PeerConnect.Turn.Client;

namespace PeerConnect.Interop.Tests;

/// <summary>The steps the TCP-relay (RFC 6062) tests share, whichever server relays: ours or coturn.</summary>
internal static class TcpRelayExchange
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Allocates, permits loopback peers, dials the relayed address from a loopback socket and accepts the
    /// ConnectionAttempt with a ConnectionBind (RFC 6062 §5.3, §5.4): the peer's socket and the client's data connection.
    /// </summary>
    public static async Task<(Socket Peer, TurnTcpPeerConnection Accepted)> DialRelayedAddressAsync(TurnTcpRelayClient client)
    {
        var allocation = await client.AllocateAsync().WaitAsync(Patience);
        await client.CreatePermissionAsync(new IPEndPoint(IPAddress.Loopback, 0)).WaitAsync(Patience);
        var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(allocation.RelayedEndPoint).WaitAsync(Patience);
        var accepted = await client.AcceptPeerAsync().WaitAsync(Patience);
        Assert.Equal(peer.LocalEndPoint, accepted.Peer);
        return (peer, accepted);
    }

    /// <summary>Writes <paramref name="length"/> random bytes each way at once and checks both arrive whole and in order.</summary>
    public static async Task ExchangeBothWaysAsync(Stream clientSide, Stream peerSide, int length)
    {
        byte[] toPeer = RandomNumberGenerator.GetBytes(length);
        byte[] toClient = RandomNumberGenerator.GetBytes(length);
        var sending = Task.WhenAll(clientSide.WriteAsync(toPeer).AsTask(), peerSide.WriteAsync(toClient).AsTask());
        Assert.Equal(toPeer, await ReadExactlyAsync(peerSide, length));
        Assert.Equal(toClient, await ReadExactlyAsync(clientSide, length));
        await sending.WaitAsync(Patience);
    }

    /// <summary>Writes random bytes and reads the echo concurrently, so neither direction's buffers fill.</summary>
    public static async Task EchoAsync(Stream stream, int length)
    {
        byte[] sent = RandomNumberGenerator.GetBytes(length);
        var writing = stream.WriteAsync(sent).AsTask();
        Assert.Equal(sent, await ReadExactlyAsync(stream, length));
        await writing.WaitAsync(Patience);
    }

    public static async Task<byte[]> ReadExactlyAsync(Stream stream, int length)
    {
        var buffer = new byte[length];
        await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(Patience);
        return buffer;
    }
}
