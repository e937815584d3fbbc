using System.Net;
using System.Net.Sockets;
using PeerConnect.Turn.Server;

namespace PeerConnect.Turn.Tests.Server;

/// <summary>The shared relay receive threads (Linux epoll) over real loopback sockets.</summary>
public sealed class RelayReceiveThreadsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PeerDatagramsReachTheClientAndAllocateNothingOnTheReceiveThread()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        await using var h = new TurnServerHarness(relaySockets: o => new UdpRelaySocketFactory(o));
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var peerAddress = TurnAddress.FromEndPoint((IPEndPoint)peer.LocalEndPoint!);
        var allocated = h.Allocate();
        Assert.True(allocated.IsSuccess);
        Assert.True(h.CreatePermission(peerAddress).IsSuccess);
        Assert.True(h.ChannelBind(0x4001, peerAddress).IsSuccess);
        var relay = allocated.RelayedAddress().ToEndPoint().Serialize();

        // The first datagram arrives as ChannelData on the bound channel (RFC 8656 §12.6).
        peer.SendTo(new byte[100], SocketFlags.None, relay);
        byte[] first = await h.Link.NextAsync();
        Assert.Equal(0x40, first[0]);
        Assert.Equal(0x01, first[1]);
        Assert.Equal(100, (first[2] << 8) | first[3]);

        h.Link.Record = false;
        byte[] datagram = new byte[1200];
        await SendAndWaitAsync(peer, relay, datagram, h.Link, 200);
        long before = h.Link.SenderAllocatedBytes;
        await SendAndWaitAsync(peer, relay, datagram, h.Link, 2_000);
        Assert.Equal(0, h.Link.SenderAllocatedBytes - before);
    }

    /// <summary>Sends in small batches, each relayed before the next, so no socket buffer overflows.</summary>
    private static async Task SendAndWaitAsync(Socket peer, SocketAddress relay, byte[] datagram, FakeLink link, int count)
    {
        int target = link.SendCount + count;
        using var timeout = new CancellationTokenSource(Patience);
        while (link.SendCount < target)
        {
            int batch = Math.Min(50, target - link.SendCount);
            int expected = link.SendCount + batch;
            for (int i = 0; i < batch; i++)
            {
                peer.SendTo(datagram, SocketFlags.None, relay);
            }
            while (link.SendCount < expected)
            {
                await Task.Delay(1, timeout.Token);
            }
        }
    }
}
