using System.Net;
using PeerConnect.Stun;
using PeerConnect.Turn.Server;

namespace PeerConnect.Turn.Tests.Server;

/// <summary>Send and Data indications (RFC 8656 §11), bandwidth limits and the allocation-free relay path.</summary>
public sealed class RelayTests
{
    [Fact]
    public async Task SendIndicationWithoutPermissionIsDropped()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.Null(h.Send(TurnServerHarness.SendIndication(TurnServerHarness.Peer, [1, 2])));
        Assert.Empty(h.Relay().Sent);
    }

    [Fact]
    public async Task SendIndicationReachesThePeerAndCarriesDontFragment()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.CreatePermission(TurnServerHarness.Peer).IsSuccess);
        h.Send(TurnServerHarness.SendIndication(TurnServerHarness.Peer, [1, 2], dontFragment: true));
        Assert.True(h.Relay().Sent.TryDequeue(out var sent));
        Assert.Equal(new byte[] { 1, 2 }, sent.Data);
        Assert.True(sent.DontFragment);
    }

    [Fact]
    public async Task PermissionIgnoresThePeerPort()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.CreatePermission(TurnServerHarness.Peer).IsSuccess);
        var samePeerOtherPort = TurnAddress.FromEndPoint(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 9999));
        h.Send(TurnServerHarness.SendIndication(samePeerOtherPort, [1]));
        Assert.Single(h.Relay().Sent);
    }

    [Fact]
    public async Task PeerDataArrivesAsDataIndication()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.CreatePermission(TurnServerHarness.Peer).IsSuccess);
        h.Relay().Deliver(TurnServerHarness.Peer, [5, 6, 7]);
        var indication = StunMessageReader.Parse(await h.Link.NextAsync());
        Assert.Equal(StunMethod.Data, indication.Method);
        Assert.Equal(StunMessageClass.Indication, indication.Class);
        Assert.True(indication.TryGetXorAddress(StunAttributeType.XorPeerAddress, out var peer));
        Assert.Equal(TurnServerHarness.Peer.ToEndPoint(), peer);
        Assert.True(indication.TryGetAttribute(StunAttributeType.Data, out var data));
        Assert.Equal(new byte[] { 5, 6, 7 }, data.ToArray());
    }

    [Fact]
    public async Task PeerDataWithoutPermissionIsDropped()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.CreatePermission(TurnServerHarness.Peer).IsSuccess);
        var stranger = TurnAddress.FromEndPoint(new IPEndPoint(IPAddress.Parse("127.0.0.50"), 7000));
        h.Relay().Deliver(stranger, [1]);
        h.Relay().Deliver(TurnServerHarness.Peer, [2]);
        var indication = StunMessageReader.Parse(await h.Link.NextAsync());
        Assert.True(indication.TryGetAttribute(StunAttributeType.Data, out var data));
        Assert.Equal(new byte[] { 2 }, data.ToArray());
    }

    [Fact]
    public async Task BandwidthLimitDropsTheExcess()
    {
        await using var h = new TurnServerHarness(configure: o => o with { BandwidthLimitBytesPerSecond = 1000 });
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.ChannelBind(0x4001, TurnServerHarness.Peer).IsSuccess);
        for (int i = 0; i < 20; i++)
        {
            h.Send(TurnServerHarness.ChannelData(0x4001, new byte[100]));
        }
        Assert.Equal(10, h.Relay().Sent.Count);
        h.Time.Advance(TimeSpan.FromSeconds(0.5));
        for (int i = 0; i < 20; i++)
        {
            h.Send(TurnServerHarness.ChannelData(0x4001, new byte[100]));
        }
        Assert.Equal(15, h.Relay().Sent.Count);
    }

    [Fact]
    public async Task ChannelDataRelayAllocatesNothing()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.ChannelBind(0x4001, TurnServerHarness.Peer).IsSuccess);
        Assert.True(h.CreatePermission(TurnServerHarness.Peer).IsSuccess);
        h.Relay().Record = false;
        byte[] channelData = TurnServerHarness.ChannelData(0x4001, new byte[1200]);
        byte[] send = TurnServerHarness.SendIndication(TurnServerHarness.Peer, new byte[1200]);
        byte[] response = new byte[1500];
        for (int i = 0; i < 100; i++)
        {
            h.Server.Process(h.Link, TurnServerHarness.ClientAddress, channelData, response);
            h.Server.Process(h.Link, TurnServerHarness.ClientAddress, send, response);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            h.Server.Process(h.Link, TurnServerHarness.ClientAddress, channelData, response);
            h.Server.Process(h.Link, TurnServerHarness.ClientAddress, send, response);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(20_200, h.Relay().SendCount);
    }
}
