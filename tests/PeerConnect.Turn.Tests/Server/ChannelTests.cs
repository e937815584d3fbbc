using System.Net;
using PeerConnect.Stun;
using PeerConnect.Turn.Server;

namespace PeerConnect.Turn.Tests.Server;

/// <summary>ChannelBind (RFC 8656 §12.2) and ChannelData both ways (§12.5, §12.6).</summary>
public sealed class ChannelTests
{
    private static readonly TurnAddress OtherPeer = TurnAddress.FromEndPoint(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 7000));

    [Theory]
    [InlineData(0x3FFF)]
    [InlineData(0x5000)]
    [InlineData(0x0001)]
    [InlineData(0xFFFF)]
    public async Task ChannelNumberOutsideRangeIsRejected(int channel)
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.Equal(StunErrorCodes.BadRequest, h.ChannelBind((ushort)channel, TurnServerHarness.Peer).ErrorCode);
    }

    [Theory]
    [InlineData(0x4000)]
    [InlineData(0x4FFF)]
    public async Task ChannelNumbersAtTheEdgesOfTheRangeBind(int channel)
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.ChannelBind((ushort)channel, TurnServerHarness.Peer).IsSuccess);
    }

    [Fact]
    public async Task Rfc5766ChannelNumbersWorkBothWaysWhenAllowed()
    {
        await using var h = new TurnServerHarness(configure: o => o with { AllowRfc5766ChannelNumbers = true });
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.ChannelBind(0x7ABC, TurnServerHarness.Peer).IsSuccess);
        byte[] frame = [0x7A, 0xBC, 0, 2, 9, 8];
        h.Send(frame);
        Assert.True(h.Relay().Sent.TryDequeue(out var sent));
        Assert.Equal(new byte[] { 9, 8 }, sent.Data);
        h.Relay().Deliver(TurnServerHarness.Peer, [1]);
        Assert.Equal(new byte[] { 0x7A, 0xBC, 0, 1, 1 }, await h.Link.NextAsync());
    }

    [Fact]
    public async Task ChannelBoundToAnotherPeerGets400()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.ChannelBind(0x4001, TurnServerHarness.Peer).IsSuccess);
        Assert.Equal(StunErrorCodes.BadRequest, h.ChannelBind(0x4001, OtherPeer).ErrorCode);
    }

    [Fact]
    public async Task PeerBoundToAnotherChannelGets400()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.ChannelBind(0x4001, TurnServerHarness.Peer).IsSuccess);
        Assert.Equal(StunErrorCodes.BadRequest, h.ChannelBind(0x4002, TurnServerHarness.Peer).ErrorCode);
    }

    [Fact]
    public async Task RebindingTheSamePairRefreshes()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.ChannelBind(0x4001, TurnServerHarness.Peer).IsSuccess);
        h.Time.Advance(TimeSpan.FromSeconds(500));
        Assert.True(h.Refresh(3600).IsSuccess);
        Assert.True(h.ChannelBind(0x4001, TurnServerHarness.Peer).IsSuccess);
        h.Time.Advance(TimeSpan.FromSeconds(200));
        h.Send(TurnServerHarness.ChannelData(0x4001, [9]));
        Assert.Single(h.Relay().Sent);
    }

    [Fact]
    public async Task ChannelDataReachesThePeer()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.ChannelBind(0x4001, TurnServerHarness.Peer).IsSuccess);
        Assert.Null(h.Send(TurnServerHarness.ChannelData(0x4001, [1, 2, 3, 4, 5])));
        Assert.True(h.Relay().Sent.TryDequeue(out var sent));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, sent.Data);
        Assert.Equal(TurnServerHarness.Peer, sent.Peer);
    }

    [Fact]
    public async Task ChannelDataWithPaddingOverUdpIsAccepted()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.ChannelBind(0x4001, TurnServerHarness.Peer).IsSuccess);
        h.Send(TurnServerHarness.ChannelData(0x4001, [1, 2, 3], padded: true));
        Assert.True(h.Relay().Sent.TryDequeue(out var sent));
        Assert.Equal(new byte[] { 1, 2, 3 }, sent.Data);
    }

    [Fact]
    public async Task TruncatedChannelDataIsDropped()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.ChannelBind(0x4001, TurnServerHarness.Peer).IsSuccess);
        h.Send(TurnServerHarness.ChannelData(0x4001, [1, 2, 3, 4])[..6]);
        Assert.Empty(h.Relay().Sent);
    }

    [Fact]
    public async Task UnboundChannelDataIsDropped()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        h.Send(TurnServerHarness.ChannelData(0x4001, [1]));
        Assert.Empty(h.Relay().Sent);
    }

    [Fact]
    public async Task PeerDataArrivesAsChannelDataOnceBound()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.ChannelBind(0x4abc, TurnServerHarness.Peer).IsSuccess);
        h.Relay().Deliver(TurnServerHarness.Peer, [7, 7, 7]);
        byte[] message = await h.Link.NextAsync();
        Assert.True(ChannelDataFrame.TryRead(message, out ushort channel, out var data));
        Assert.Equal(0x4abc, channel);
        Assert.Equal(new byte[] { 7, 7, 7 }, data.ToArray());
        Assert.Equal(7, message.Length); // UDP: no padding
    }

    [Fact]
    public async Task ChannelDataToAStreamClientIsPaddedToFourBytes()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.ChannelBind(0x4001, TurnServerHarness.Peer).IsSuccess);
        h.Relay().Deliver(TurnServerHarness.Peer, [1, 2, 3, 4, 5]);
        byte[] message = await h.Link.NextAsync();
        Assert.Equal(12, message.Length);
        Assert.Equal(5, (message[2] << 8) | message[3]);
    }

    [Fact]
    public async Task ChannelExpiresAfter600Seconds()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate(static (ref StunMessageWriter w) => w.WriteUInt32(StunAttributeType.Lifetime, 3600)).IsSuccess);
        Assert.True(h.ChannelBind(0x4001, TurnServerHarness.Peer).IsSuccess);
        h.Time.Advance(TimeSpan.FromSeconds(290));
        Assert.True(h.CreatePermission(TurnServerHarness.Peer).IsSuccess); // keep the permission alive
        h.Time.Advance(TimeSpan.FromSeconds(290));
        Assert.True(h.CreatePermission(TurnServerHarness.Peer).IsSuccess);
        h.Send(TurnServerHarness.ChannelData(0x4001, [1]));
        Assert.Single(h.Relay().Sent);
        h.Time.Advance(TimeSpan.FromSeconds(30));
        h.Send(TurnServerHarness.ChannelData(0x4001, [2]));
        Assert.Single(h.Relay().Sent);
    }
}
