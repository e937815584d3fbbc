using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using PeerConnect.Stun.Server;
using PeerConnect.Stun.Tests.Fakes;

namespace PeerConnect.Stun.Tests;

/// <summary>
/// The listener's idle timeout on TCP connections, and the exemption a packet handler grants a connection that carries
/// state of its own (a TURN allocation), on a fake clock.
/// </summary>
public sealed class StreamIdleTimeoutTests
{
    // Long, so a deadline left on the real clock by mistake could not pass for the fake one within the test.
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task QuietConnectionIsClosedAfterTheIdleTimeout()
    {
        var time = new FakeTimeProvider();
        await using var server = await StartAsync(time, new ExemptingHandler());
        using var client = await ConnectAsync(server);

        Assert.True(await ClosesAsync(client, time));
    }

    [Fact]
    public async Task ExemptConnectionOutlivesTheIdleTimeout()
    {
        var time = new FakeTimeProvider();
        await using var server = await StartAsync(time, new ExemptingHandler());
        using var client = await ConnectAsync(server);
        await ExchangeAsync(client, StunMethod.Refresh);

        time.Advance(IdleTimeout * 3);
        await ExchangeAsync(client, StunMethod.Binding);
    }

    [Fact]
    public async Task IdleTimeoutAppliesAgainFromWhenTheExemptionEnds()
    {
        var time = new FakeTimeProvider();
        var handler = new ExemptingHandler();
        await using var server = await StartAsync(time, handler);
        using var client = await ConnectAsync(server);
        await ExchangeAsync(client, StunMethod.Refresh);
        time.Advance(IdleTimeout * 3);
        await ExchangeAsync(client, StunMethod.Binding);
        // Let the listener start waiting for the next message under the exemption: that wait is the one to re-time.
        await Task.Delay(100);

        // Ended from another thread while the connection is quiet, as an allocation's expiry is.
        handler.Link!.ExemptFromIdleTimeout = false;
        time.Advance(IdleTimeout / 2);
        Assert.False(IsClosed(client, TimeSpan.FromMilliseconds(200)));
        Assert.True(await ClosesAsync(client, time));
    }

    private static async Task<StunServer> StartAsync(FakeTimeProvider time, IStunPacketHandler handler)
    {
        var options = ServerFixture.Loopback(IPAddress.Loopback) with { StreamIdleTimeout = IdleTimeout, ReceiveLoops = 1 };
        var server = new StunServer(options, timeProvider: time, packetHandler: handler);
        await server.StartAsync();
        return server;
    }

    private static async Task<Socket> ConnectAsync(StunServer server)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(server.TcpEndPoints.Single()).WaitAsync(ServerFixture.Patience);
        return client;
    }

    /// <summary>Sends a request and reads its response (RFC 8489 §6: 20-byte header, then the length it gives).</summary>
    private static async Task ExchangeAsync(Socket client, StunMethod method)
    {
        var id = TransactionId.NewRandom();
        await client.SendAsync(ServerFixture.BindingRequest(id, method: method));
        byte[] header = new byte[20];
        await ReceiveExactlyAsync(client, header);
        byte[] body = new byte[(header[2] << 8) | header[3]];
        await ReceiveExactlyAsync(client, body);
        byte[] message = [.. header, .. body];
        Assert.Equal(id, StunMessageReader.Parse(message).TransactionId);
    }

    private static async Task ReceiveExactlyAsync(Socket client, byte[] buffer)
    {
        int received = 0;
        while (received < buffer.Length)
        {
            int n = await client.ReceiveAsync(buffer.AsMemory(received)).AsTask().WaitAsync(ServerFixture.Patience);
            Assert.NotEqual(0, n);
            received += n;
        }
    }

    /// <summary>Moves the clock on an idle timeout at a time until the server closes the connection; false if it never does.</summary>
    private static async Task<bool> ClosesAsync(Socket client, FakeTimeProvider time)
    {
        // Several steps: the listener may arm its deadline a moment after the clock moved.
        for (int step = 0; step < 20; step++)
        {
            time.Advance(IdleTimeout);
            if (IsClosed(client, TimeSpan.FromMilliseconds(500)))
            {
                return true;
            }
            await Task.Yield();
        }
        return false;
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

    /// <summary>Answers every request it gets with success and exempts its connection from the idle timeout, as TURN's Allocate does.</summary>
    private sealed class ExemptingHandler : IStunPacketHandler
    {
        public StunClientLink? Link { get; private set; }

        public int HandlePacket(StunClientLink link, ReadOnlySpan<byte> remoteAddress, int remotePort, ReadOnlySpan<byte> packet, Span<byte> response)
        {
            link.ExemptFromIdleTimeout = true;
            Link = link;
            var request = StunMessageReader.Parse(packet);
            var writer = new StunMessageWriter(response, request.Type.ToResponse(success: true), request.TransactionId);
            return writer.Length;
        }

        public void LinkClosed(StunClientLink link)
        {
        }
    }
}
