using System.Net;
using System.Net.Sockets;
using PeerConnect.Stun;
using PeerConnect.Turn.Server;

namespace PeerConnect.Turn.Tests.Server;

/// <summary>Allocate (RFC 8656 §7.2) and Refresh (§8.2).</summary>
public sealed class AllocationTests
{
    [Fact]
    public async Task AllocateGrantsTheDefaultLifetimeAndARelayedAddress()
    {
        await using var h = new TurnServerHarness();
        var response = h.Allocate();
        Assert.True(response.IsSuccess);
        Assert.True(response.Reader.TryGetUInt32(StunAttributeType.Lifetime, out uint lifetime));
        Assert.Equal(600u, lifetime);
        Assert.Equal(h.Relay().LocalAddress, response.RelayedAddress());
        Assert.True(response.Reader.TryGetXorAddress(StunAttributeType.XorMappedAddress, out var mapped));
        Assert.Equal(TurnServerHarness.ClientAddress.ToEndPoint(), mapped);
    }

    [Theory]
    [InlineData(100u, 600u)]
    [InlineData(1800u, 1800u)]
    [InlineData(100_000u, 3600u)]
    public async Task LifetimeIsTheRequestCappedAtTheMaximumButNotBelowTheDefault(uint requested, uint granted)
    {
        await using var h = new TurnServerHarness();
        var response = h.Allocate((ref StunMessageWriter w) => w.WriteUInt32(StunAttributeType.Lifetime, requested));
        Assert.True(response.Reader.TryGetUInt32(StunAttributeType.Lifetime, out uint lifetime));
        Assert.Equal(granted, lifetime);
    }

    [Fact]
    public async Task MissingRequestedTransportGets400()
    {
        await using var h = new TurnServerHarness();
        Assert.Equal(StunErrorCodes.BadRequest, h.Request(StunMethod.Allocate).ErrorCode);
    }

    [Fact]
    public async Task UnknownRequestedTransportGets442()
    {
        await using var h = new TurnServerHarness();
        // 132 is SCTP: neither UDP nor TCP (RFC 6062 §5.1 step 1).
        var response = h.Request(StunMethod.Allocate, static (ref StunMessageWriter w) => w.WriteRequestedTransport((TurnTransport)132));
        Assert.Equal(StunErrorCodes.UnsupportedTransportProtocol, response.ErrorCode);
    }

    [Fact]
    public async Task AllocationMismatchGets437()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.Equal(StunErrorCodes.AllocationMismatch, h.Allocate().ErrorCode);
    }

    [Fact]
    public async Task RetransmittedAllocateGetsTheSameSuccess()
    {
        await using var h = new TurnServerHarness();
        var id = TransactionId.NewRandom();
        var first = h.Allocate(transactionId: id);
        var again = h.Allocate(transactionId: id);
        Assert.True(again.IsSuccess);
        Assert.Equal(first.RelayedAddress(), again.RelayedAddress());
        Assert.Equal(1, h.Server.AllocationCount);
    }

    [Fact]
    public async Task RefreshWithZeroLifetimeDeletes()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        var response = h.Refresh(0);
        Assert.True(response.IsSuccess);
        Assert.True(response.Reader.TryGetUInt32(StunAttributeType.Lifetime, out uint lifetime));
        Assert.Equal(0u, lifetime);
        Assert.Equal(0, h.Server.AllocationCount);
        Assert.True(h.Relay().Disposed);
        Assert.Equal(StunErrorCodes.AllocationMismatch, h.Refresh(600).ErrorCode);
    }

    [Fact]
    public async Task RefreshWithoutAllocationGets437()
    {
        await using var h = new TurnServerHarness();
        Assert.Equal(StunErrorCodes.AllocationMismatch, h.Refresh(600).ErrorCode);
    }

    [Fact]
    public async Task RefreshExtendsTheLifetime()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        h.Time.Advance(TimeSpan.FromSeconds(500));
        Assert.True(h.Refresh(600).IsSuccess);
        h.Time.Advance(TimeSpan.FromSeconds(500));
        Assert.Equal(1, h.Server.AllocationCount);
    }

    [Fact]
    public async Task AllocationExpiresAfterItsLifetime()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        h.Time.Advance(TimeSpan.FromSeconds(601));
        Assert.Equal(0, h.Server.AllocationCount);
        Assert.True(h.Relay().Disposed);
    }

    [Fact]
    public async Task QuotaPerUserGets486()
    {
        await using var h = new TurnServerHarness(configure: o => o with { MaxAllocationsPerUser = 2 });
        for (int port = 1; port <= 2; port++)
        {
            var from = TurnAddress.FromEndPoint(new IPEndPoint(IPAddress.Loopback, 41_000 + port));
            Assert.True(AllocateFrom(h, from).IsSuccess);
        }
        var third = TurnAddress.FromEndPoint(new IPEndPoint(IPAddress.Loopback, 41_003));
        Assert.Equal(StunErrorCodes.AllocationQuotaReached, AllocateFrom(h, third).ErrorCode);

        // Another user is not affected.
        h.Username = "bob";
        h.UserPassword = "builder";
        Assert.True(AllocateFrom(h, third).IsSuccess);
    }

    [Fact]
    public async Task QuotaPolicyDelegateGets486()
    {
        var policies = new TurnServerPolicies { AllocationQuota = (user, held) => user != TurnServerHarness.User };
        await using var h = new TurnServerHarness(policies: policies);
        Assert.Equal(StunErrorCodes.AllocationQuotaReached, h.Allocate().ErrorCode);
    }

    [Fact]
    public async Task ServerCapacityGets508()
    {
        await using var h = new TurnServerHarness(configure: o => o with { MaxAllocations = 1 });
        Assert.True(h.Allocate().IsSuccess);
        h.Username = "bob";
        h.UserPassword = "builder";
        var other = TurnAddress.FromEndPoint(new IPEndPoint(IPAddress.Loopback, 41_100));
        Assert.Equal(StunErrorCodes.InsufficientCapacity, AllocateFrom(h, other).ErrorCode);
    }

    [Fact]
    public async Task NoFreeRelayPortGets508()
    {
        await using var h = new TurnServerHarness();
        h.Relays.Exhausted = true;
        Assert.Equal(StunErrorCodes.InsufficientCapacity, h.Allocate().ErrorCode);
        h.Relays.Exhausted = false;
        Assert.True(h.Allocate().IsSuccess); // the failed attempt released its quota
    }

    [Fact]
    public async Task UnknownComprehensionRequiredAttributeGets420()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        var response = h.Allocate(static (ref StunMessageWriter w) => w.WriteAttribute(0x7F01, [1, 2, 3, 4]));
        Assert.Equal(StunErrorCodes.UnknownAttribute, response.ErrorCode);
        Assert.True(response.Reader.TryGetAttribute(StunAttributeType.UnknownAttributes, out var unknown));
        Assert.Equal(new byte[] { 0x7F, 0x01 }, unknown.ToArray());
    }

    [Fact]
    public async Task UnsupportedAddressFamilyGets440()
    {
        await using var h = new TurnServerHarness(configure: o => o with { RelayAddressV6 = null });
        h.Relays.IPv6 = false;
        var response = h.Allocate(static (ref StunMessageWriter w) => w.WriteAddressFamily(StunAttributeType.RequestedAddressFamily, AddressFamily.InterNetworkV6));
        Assert.Equal(StunErrorCodes.AddressFamilyNotSupported, response.ErrorCode);
    }

    [Fact]
    public async Task RequestedAndAdditionalAddressFamilyTogetherGet400()
    {
        await using var h = new TurnServerHarness();
        var response = h.Allocate(static (ref StunMessageWriter w) =>
        {
            w.WriteAddressFamily(StunAttributeType.RequestedAddressFamily, AddressFamily.InterNetwork);
            w.WriteAddressFamily(StunAttributeType.AdditionalAddressFamily, AddressFamily.InterNetworkV6);
        });
        Assert.Equal(StunErrorCodes.BadRequest, response.ErrorCode);
    }

    [Fact]
    public async Task IPv6AllocationRelaysOnIPv6()
    {
        await using var h = new TurnServerHarness();
        var response = h.Allocate(static (ref StunMessageWriter w) => w.WriteAddressFamily(StunAttributeType.RequestedAddressFamily, AddressFamily.InterNetworkV6));
        Assert.True(response.IsSuccess);
        Assert.False(response.RelayedAddress().IsIPv4);
    }

    [Fact]
    public async Task DualAllocationReturnsTwoRelayedAddresses()
    {
        await using var h = new TurnServerHarness();
        var response = h.Allocate(static (ref StunMessageWriter w) => w.WriteAddressFamily(StunAttributeType.AdditionalAddressFamily, AddressFamily.InterNetworkV6));
        Assert.True(response.IsSuccess);
        Assert.Equal(2, response.Count(StunAttributeType.XorRelayedAddress));
        Assert.True(response.RelayedAddress(0).IsIPv4);
        Assert.False(response.RelayedAddress(1).IsIPv4);
    }

    [Fact]
    public async Task DualAllocationWithoutIPv6SucceedsWithAddressErrorCode440()
    {
        await using var h = new TurnServerHarness(configure: o => o with { RelayAddressV6 = null });
        h.Relays.IPv6 = false;
        var response = h.Allocate(static (ref StunMessageWriter w) => w.WriteAddressFamily(StunAttributeType.AdditionalAddressFamily, AddressFamily.InterNetworkV6));
        Assert.True(response.IsSuccess);
        Assert.Equal(1, response.Count(StunAttributeType.XorRelayedAddress));
        Assert.True(response.Reader.TryGetAddressErrorCode(out var family, out int code));
        Assert.Equal(AddressFamily.InterNetworkV6, family);
        Assert.Equal(StunErrorCodes.AddressFamilyNotSupported, code);
    }

    [Fact]
    public async Task EvenPortWithReserveReturnsATokenThatAllocatesTheNextPort()
    {
        await using var h = new TurnServerHarness();
        var first = h.Allocate(static (ref StunMessageWriter w) => w.WriteEvenPort(reserveNext: true));
        Assert.True(first.IsSuccess);
        Assert.True(first.Reader.TryGetUInt64(StunAttributeType.ReservationToken, out ulong token));

        var other = TurnAddress.FromEndPoint(new IPEndPoint(IPAddress.Loopback, 41_200));
        var second = AllocateFrom(h, other, (ref StunMessageWriter w) => w.WriteUInt64(StunAttributeType.ReservationToken, token));
        Assert.True(second.IsSuccess);
        Assert.Equal(first.RelayedAddress().Port + 1, second.RelayedAddress().Port);
    }

    [Fact]
    public async Task ReservationTokenWithEvenPortGets400()
    {
        await using var h = new TurnServerHarness();
        var response = h.Allocate(static (ref StunMessageWriter w) =>
        {
            w.WriteUInt64(StunAttributeType.ReservationToken, 42);
            w.WriteEvenPort(reserveNext: false);
        });
        Assert.Equal(StunErrorCodes.BadRequest, response.ErrorCode);
    }

    [Fact]
    public async Task UnknownReservationTokenGets508()
    {
        await using var h = new TurnServerHarness();
        var response = h.Allocate(static (ref StunMessageWriter w) => w.WriteUInt64(StunAttributeType.ReservationToken, 42));
        Assert.Equal(StunErrorCodes.InsufficientCapacity, response.ErrorCode);
    }

    [Fact]
    public async Task ExternalAddressIsAdvertisedInXorRelayedAddress()
    {
        await using var h = new TurnServerHarness(configure: o => o with { ExternalAddress = IPAddress.Parse("127.0.0.77") });
        var response = h.Allocate();
        Assert.Equal(IPAddress.Parse("127.0.0.77"), response.RelayedAddress().ToEndPoint().Address);
        Assert.Equal(h.Relay().LocalAddress.Port, response.RelayedAddress().Port);
    }

    [Fact]
    public async Task ClosingAStreamConnectionDeletesItsAllocation()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        Assert.True(h.Allocate().IsSuccess);
        h.Server.ConnectionClosed(h.Link);
        Assert.Equal(0, h.Server.AllocationCount);
    }

    private static Response AllocateFrom(TurnServerHarness h, TurnAddress from, WriteAttributes? extra = null)
    {
        if (h.Nonce is null)
        {
            h.Nonce = h.Send(TurnServerHarness.Build(StunMethod.Allocate, static (ref StunMessageWriter w) =>
            {
                w.WriteRequestedTransport(TurnTransport.Udp);
                w.WriteString(StunAttributeType.Software, TurnServerHarness.PaddedSoftware);
            }), from)!.Nonce;
        }
        return h.Send(h.BuildSigned(StunMethod.Allocate, (ref StunMessageWriter w) =>
        {
            w.WriteRequestedTransport(TurnTransport.Udp);
            extra?.Invoke(ref w);
        }), from)!;
    }
}
