using System.Net;
using System.Net.Sockets;
using PeerConnect.Stun;
using PeerConnect.Stun.Server;
using PeerConnect.Turn.Server;

namespace PeerConnect.Turn.Tests.Server;

/// <summary>
/// The listener's idle timeout and a TCP control connection (RFC 8656 §3.1: the allocation dies with it): exempt while
/// it holds an allocation, timed again once the allocation ends. The listener and the core share one fake clock.
/// </summary>
public sealed class ControlConnectionIdleTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ControlConnectionIsClosedWhenIdleOnceItsAllocationExpires()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        await using var stun = new StunServer(
            new StunServerOptions { ListenAddresses = [IPAddress.Loopback], Port = 0, StreamIdleTimeout = IdleTimeout, ReceiveLoops = 1 },
            timeProvider: h.Time,
            packetHandler: new TurnPacketHandler(h.Server));
        await stun.StartAsync();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(stun.TcpEndPoints.Single()).WaitAsync(Patience);

        var challenge = await ExchangeAsync(client, TurnServerHarness.Build(StunMethod.Allocate, static (ref StunMessageWriter w) => w.WriteRequestedTransport(TurnTransport.Udp)));
        h.Nonce = challenge.Nonce;
        Assert.True((await ExchangeAsync(client, h.BuildSigned(StunMethod.Allocate, static (ref StunMessageWriter w) => w.WriteRequestedTransport(TurnTransport.Udp)))).IsSuccess);

        // Quiet for many idle timeouts while the allocation lives: still open.
        var lifetime = h.Options.DefaultAllocationLifetime;
        h.Time.Advance(lifetime - TimeSpan.FromSeconds(1));
        Assert.Equal(1, h.Server.AllocationCount);
        Assert.False(IsClosed(client, TimeSpan.FromMilliseconds(200)));

        // The expiry sweep ends it while the listener waits for the next message; the idle timeout then closes the connection.
        var elapsed = lifetime - TimeSpan.FromSeconds(1);
        bool closed = false;
        for (int step = 0; step < 20 && !closed; step++)
        {
            h.Time.Advance(IdleTimeout / 2);
            elapsed += IdleTimeout / 2;
            closed = IsClosed(client, TimeSpan.FromMilliseconds(500));
        }
        Assert.True(closed, "The control connection stayed open after its allocation expired.");
        Assert.Equal(0, h.Server.AllocationCount);
        Assert.True(elapsed >= lifetime + IdleTimeout, $"Closed {elapsed} after the Allocate, before the allocation's lifetime and an idle timeout had passed");
    }

    /// <summary>Sends a request and reads its response (RFC 8489 §6: 20-byte header, then the length it gives).</summary>
    private static async Task<Response> ExchangeAsync(Socket client, byte[] request)
    {
        await client.SendAsync(request);
        byte[] header = new byte[20];
        await ReceiveExactlyAsync(client, header);
        byte[] body = new byte[(header[2] << 8) | header[3]];
        await ReceiveExactlyAsync(client, body);
        return new Response([.. header, .. body]);
    }

    private static async Task ReceiveExactlyAsync(Socket client, byte[] buffer)
    {
        int received = 0;
        while (received < buffer.Length)
        {
            int n = await client.ReceiveAsync(buffer.AsMemory(received)).AsTask().WaitAsync(Patience);
            Assert.NotEqual(0, n);
            received += n;
        }
    }

    /// <summary>True when the server closed the connection within <paramref name="wait"/> (end of stream or reset).</summary>
    private static bool IsClosed(Socket client, TimeSpan wait)
    {
        if (!client.Poll(wait, SelectMode.SelectRead))
        {
            return false;
        }
        try
        {
            return client.Receive(new byte[1]) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }
}
