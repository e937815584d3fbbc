using System.Net;
using PeerConnect.Stun;
using PeerConnect.Turn.Server;

namespace PeerConnect.Turn.Tests.Server;

/// <summary>CreatePermission (RFC 8656 §10.2) and the deny-by-default peer policy.</summary>
public sealed class PermissionTests
{
    private static TurnServerOptions DefaultPolicy(TurnServerOptions o) => o with { AllowLoopbackPeers = false };

    private static TurnAddress At(string address, int port = 9000) => TurnAddress.FromEndPoint(new IPEndPoint(IPAddress.Parse(address), port));

    [Fact]
    public async Task PeerOnLoopbackIsForbiddenByDefault()
    {
        await using var h = new TurnServerHarness(configure: DefaultPolicy);
        Assert.True(h.Allocate().IsSuccess);
        Assert.Equal(StunErrorCodes.Forbidden, h.CreatePermission(At("127.0.0.1")).ErrorCode);
        Assert.Equal(StunErrorCodes.Forbidden, h.ChannelBind(0x4000, At("127.0.0.1")).ErrorCode);
    }

    [Theory]
    [InlineData("10.1.2.3")]           // RFC 1918
    [InlineData("172.16.0.1")]         // RFC 1918
    [InlineData("172.31.255.254")]     // RFC 1918
    [InlineData("192.168.1.1")]        // RFC 1918
    [InlineData("169.254.169.254")]    // link-local: the cloud metadata service
    [InlineData("0.1.2.3")]            // this network
    [InlineData("224.0.0.251")]        // multicast
    [InlineData("255.255.255.255")]    // broadcast
    [InlineData("::1")]                // loopback
    [InlineData("fe80::1")]            // link-local
    [InlineData("fd00::1")]            // unique-local
    [InlineData("ff02::1")]            // multicast
    [InlineData("::ffff:10.0.0.1")]    // IPv4-mapped private
    public async Task PeerInPrivateOrSpecialRangeIsForbiddenByDefault(string peer)
    {
        await using var h = new TurnServerHarness(configure: DefaultPolicy);
        var allocate = At(peer).IsIPv4
            ? h.Allocate()
            : h.Allocate(static (ref StunMessageWriter w) => w.WriteAddressFamily(StunAttributeType.RequestedAddressFamily, System.Net.Sockets.AddressFamily.InterNetworkV6));
        Assert.True(allocate.IsSuccess);
        Assert.Equal(StunErrorCodes.Forbidden, h.CreatePermission(At(peer)).ErrorCode);
    }

    [Fact]
    public void ServerOwnAddressIsForbidden()
    {
        var options = new TurnServerOptions();
        var policy = new PeerAddressPolicy(options, [IPAddress.Parse("203.0.113.5")]);
        Assert.False(policy.Permit("alice", IPAddress.Parse("203.0.113.5")));
        Assert.True(policy.Permit("alice", IPAddress.Parse("203.0.113.6")));
    }

    [Fact]
    public void ExternalAddressCountsAsTheServersOwn()
    {
        var policy = new PeerAddressPolicy(new TurnServerOptions { ExternalAddress = IPAddress.Parse("198.51.100.7") }, []);
        Assert.False(policy.Permit("alice", IPAddress.Parse("198.51.100.7")));
    }

    [Fact]
    public void AllowedPeerRangesOverrideTheDefaultDenial()
    {
        var policy = new PeerAddressPolicy(new TurnServerOptions { AllowedPeerRanges = ["10.20.0.0/16"] }, []);
        Assert.True(policy.Permit("alice", IPAddress.Parse("10.20.3.4")));
        Assert.False(policy.Permit("alice", IPAddress.Parse("10.21.3.4")));
    }

    [Fact]
    public void DeniedPeerRangesWinOverAllowedOnes()
    {
        var policy = new PeerAddressPolicy(new TurnServerOptions { AllowedPeerRanges = ["10.0.0.0/8"], DeniedPeerRanges = ["10.9.0.0/16", "198.51.100.0/24"] }, []);
        Assert.False(policy.Permit("alice", IPAddress.Parse("10.9.1.1")));
        Assert.True(policy.Permit("alice", IPAddress.Parse("10.8.1.1")));
        Assert.False(policy.Permit("alice", IPAddress.Parse("198.51.100.1")));
    }

    [Fact]
    public void MalformedRangeFailsValidation()
    {
        Assert.Throws<ArgumentException>(() => new TurnServerOptions { AllowedPeerRanges = ["10.0.0.0/33"] }.Validate());
        Assert.Throws<ArgumentException>(() => new TurnServerOptions { DeniedPeerRanges = ["not-a-range"] }.Validate());
    }

    [Fact]
    public async Task CreatePermissionInstallsSeveralPeersAtOnce()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.CreatePermission(At("127.0.0.2"), At("127.0.0.3"), At("127.0.0.4")).IsSuccess);
        foreach (var peer in new[] { "127.0.0.2", "127.0.0.3", "127.0.0.4" })
        {
            h.Send(TurnServerHarness.SendIndication(At(peer, 1234), [1, 2, 3]));
        }
        Assert.Equal(3, h.Relay().Sent.Count);
    }

    [Fact]
    public async Task OneForbiddenPeerFailsTheWholeRequest()
    {
        await using var h = new TurnServerHarness(configure: o => o with { DeniedPeerRanges = ["127.0.0.4/32"] });
        Assert.True(h.Allocate().IsSuccess);
        Assert.Equal(StunErrorCodes.Forbidden, h.CreatePermission(At("127.0.0.2"), At("127.0.0.4")).ErrorCode);
        h.Send(TurnServerHarness.SendIndication(At("127.0.0.2"), [1]));
        Assert.Empty(h.Relay().Sent);
    }

    [Fact]
    public async Task CreatePermissionWithoutPeerGets400()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.Equal(StunErrorCodes.BadRequest, h.CreatePermission().ErrorCode);
    }

    [Fact]
    public async Task CreatePermissionWithoutAllocationGets437()
    {
        await using var h = new TurnServerHarness();
        Assert.Equal(StunErrorCodes.AllocationMismatch, h.CreatePermission(TurnServerHarness.Peer).ErrorCode);
    }

    [Fact]
    public async Task PeerOfAnotherFamilyGets443()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.Equal(StunErrorCodes.PeerAddressFamilyMismatch, h.CreatePermission(At("::1")).ErrorCode);
    }

    [Fact]
    public async Task PermissionExpiresAfter300Seconds()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.CreatePermission(TurnServerHarness.Peer).IsSuccess);
        h.Time.Advance(TimeSpan.FromSeconds(299));
        h.Send(TurnServerHarness.SendIndication(TurnServerHarness.Peer, [1]));
        Assert.Single(h.Relay().Sent);
        h.Time.Advance(TimeSpan.FromSeconds(2));
        h.Send(TurnServerHarness.SendIndication(TurnServerHarness.Peer, [2]));
        Assert.Single(h.Relay().Sent);
    }

    [Fact]
    public async Task TooManyPermissionsGets508()
    {
        await using var h = new TurnServerHarness(configure: o => o with { MaxPermissionsPerAllocation = 2 });
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.CreatePermission(At("127.0.0.2"), At("127.0.0.3")).IsSuccess);
        Assert.True(h.CreatePermission(At("127.0.0.3")).IsSuccess); // refreshing is not adding
        Assert.Equal(StunErrorCodes.InsufficientCapacity, h.CreatePermission(At("127.0.0.4")).ErrorCode);
    }
}
