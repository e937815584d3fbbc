using System.Net.Sockets;
using PeerConnect.Stun;

namespace PeerConnect.Turn.Tests;

/// <summary>TURN attribute values (RFC 8656 §18) written and read back, with their exact wire bytes.</summary>
public sealed class TurnAttributesTests
{
    [Fact]
    public void TurnAttributesRoundTripWithTheirWireLayout()
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, new StunMessageType(StunMethod.Allocate, StunMessageClass.Request), TransactionId.NewRandom());
        writer.WriteRequestedTransport(TurnTransport.Udp);
        writer.WriteChannelNumber(0x4ABC);
        writer.WriteEvenPort(reserveNext: true);
        writer.WriteAddressFamily(StunAttributeType.RequestedAddressFamily, AddressFamily.InterNetworkV6);
        writer.WriteAddressFamily(StunAttributeType.AdditionalAddressFamily, AddressFamily.InterNetworkV6);
        writer.WriteAddressErrorCode(AddressFamily.InterNetworkV6, StunErrorCodes.InsufficientCapacity, "Insufficient Capacity");
        int length = writer.Length;

        Assert.Equal(Convert.FromHexString("0019000411000000"), buffer[20..28]);
        Assert.Equal(Convert.FromHexString("000c00044abc0000"), buffer[28..36]);
        Assert.Equal(Convert.FromHexString("0018000180000000"), buffer[36..44]);

        var reader = StunMessageReader.Parse(buffer.AsSpan(0, length));
        Assert.True(reader.TryGetRequestedTransport(out byte protocol));
        Assert.Equal((byte)TurnTransport.Udp, protocol);
        Assert.True(reader.TryGetChannelNumber(out ushort channel));
        Assert.Equal(0x4ABC, channel);
        Assert.True(reader.TryGetEvenPort(out bool reserve));
        Assert.True(reserve);
        Assert.True(reader.TryGetAddressFamily(StunAttributeType.RequestedAddressFamily, out AddressFamily family));
        Assert.Equal(AddressFamily.InterNetworkV6, family);
        Assert.True(reader.TryGetAddressErrorCode(out AddressFamily errorFamily, out int code));
        Assert.Equal(AddressFamily.InterNetworkV6, errorFamily);
        Assert.Equal(508, code);
    }

    [Fact]
    public void UnknownAddressFamilyIsNotAccepted()
    {
        var buffer = new byte[64];
        var writer = new StunMessageWriter(buffer, new StunMessageType(StunMethod.Allocate, StunMessageClass.Request), TransactionId.NewRandom());
        writer.WriteAttribute(StunAttributeType.RequestedAddressFamily, [0x03, 0, 0, 0]);
        var reader = StunMessageReader.Parse(writer.WrittenSpan);
        Assert.False(reader.TryGetAddressFamily(StunAttributeType.RequestedAddressFamily, out _));
    }
}
