using System.Buffers.Binary;
using System.Net.Sockets;
using PeerConnect.Stun;

namespace PeerConnect.Turn;

/// <summary>IANA protocol numbers carried by REQUESTED-TRANSPORT (RFC 8656 §18.8).</summary>
public enum TurnTransport : byte
{
    /// <summary>TCP relaying (RFC 6062).</summary>
    Tcp = 6,
    /// <summary>UDP relaying.</summary>
    Udp = 17,
}

/// <summary>Readers and writers for the TURN-specific attribute values (RFC 8656 §18, RFC 6062 §6.2.1).</summary>
public static class TurnAttributes
{
    private const byte FamilyIPv4 = 0x01;
    private const byte FamilyIPv6 = 0x02;
    private const byte EvenPortReserveBit = 0x80;

    // REQUESTED-TRANSPORT (RFC 8656 §18.8):
    // |    Protocol   |                    RFFU                       |
    /// <summary>Appends REQUESTED-TRANSPORT.</summary>
    public static void WriteRequestedTransport(this ref StunMessageWriter writer, TurnTransport transport)
    {
        Span<byte> value = [(byte)transport, 0, 0, 0];
        writer.WriteAttribute(StunAttributeType.RequestedTransport, value);
    }

    /// <summary>Reads REQUESTED-TRANSPORT's protocol number.</summary>
    public static bool TryGetRequestedTransport(this StunMessageReader reader, out byte protocol)
    {
        protocol = 0;
        if (!reader.TryGetAttribute(StunAttributeType.RequestedTransport, out ReadOnlySpan<byte> value) || value.Length != 4)
        {
            return false;
        }

        protocol = value[0];
        return true;
    }

    // CHANNEL-NUMBER (RFC 8656 §18.1):
    // |        Channel Number         |         RFFU = 0              |
    /// <summary>Appends CHANNEL-NUMBER.</summary>
    public static void WriteChannelNumber(this ref StunMessageWriter writer, ushort channel)
    {
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(value, channel);
        value[2] = value[3] = 0;
        writer.WriteAttribute(StunAttributeType.ChannelNumber, value);
    }

    /// <summary>Reads CHANNEL-NUMBER (any 16-bit value; the caller checks the range).</summary>
    public static bool TryGetChannelNumber(this StunMessageReader reader, out ushort channel)
    {
        channel = 0;
        if (!reader.TryGetAttribute(StunAttributeType.ChannelNumber, out ReadOnlySpan<byte> value) || value.Length != 4)
        {
            return false;
        }

        channel = BinaryPrimitives.ReadUInt16BigEndian(value);
        return true;
    }

    // CONNECTION-ID (RFC 6062 §6.2.1): names one peer data connection of a TCP allocation.
    // |                        Connection ID (32)                     |
    /// <summary>Appends CONNECTION-ID.</summary>
    public static void WriteConnectionId(this ref StunMessageWriter writer, uint connectionId) =>
        writer.WriteUInt32(StunAttributeType.ConnectionId, connectionId);

    /// <summary>Reads CONNECTION-ID.</summary>
    public static bool TryGetConnectionId(this StunMessageReader reader, out uint connectionId) =>
        reader.TryGetUInt32(StunAttributeType.ConnectionId, out connectionId);

    // EVEN-PORT (RFC 8656 §18.7): one byte, |R|    RFFU    |, padded to 4.
    /// <summary>Appends EVEN-PORT; <paramref name="reserveNext"/> sets the R bit.</summary>
    public static void WriteEvenPort(this ref StunMessageWriter writer, bool reserveNext)
    {
        Span<byte> value = [reserveNext ? EvenPortReserveBit : (byte)0];
        writer.WriteAttribute(StunAttributeType.EvenPort, value);
    }

    /// <summary>Reads EVEN-PORT.</summary>
    public static bool TryGetEvenPort(this StunMessageReader reader, out bool reserveNext)
    {
        reserveNext = false;
        if (!reader.TryGetAttribute(StunAttributeType.EvenPort, out ReadOnlySpan<byte> value) || value.Length != 1)
        {
            return false;
        }

        reserveNext = (value[0] & EvenPortReserveBit) != 0;
        return true;
    }

    // REQUESTED-ADDRESS-FAMILY and ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.6, §18.11):
    // |     Family    |            Reserved                           |
    /// <summary>Appends REQUESTED-ADDRESS-FAMILY or ADDITIONAL-ADDRESS-FAMILY.</summary>
    public static void WriteAddressFamily(this ref StunMessageWriter writer, StunAttributeType type, AddressFamily family)
    {
        Span<byte> value = [ToWire(family), 0, 0, 0];
        writer.WriteAttribute(type, value);
    }

    /// <summary>Reads REQUESTED-ADDRESS-FAMILY or ADDITIONAL-ADDRESS-FAMILY; false for an unknown family.</summary>
    public static bool TryGetAddressFamily(this StunMessageReader reader, StunAttributeType type, out AddressFamily family)
    {
        family = AddressFamily.Unspecified;
        if (!reader.TryGetAttribute(type, out ReadOnlySpan<byte> value) || value.Length != 4)
        {
            return false;
        }

        family = value[0] switch
        {
            FamilyIPv4 => AddressFamily.InterNetwork,
            FamilyIPv6 => AddressFamily.InterNetworkV6,
            _ => AddressFamily.Unknown,
        };
        return family != AddressFamily.Unknown;
    }

    // ADDRESS-ERROR-CODE (RFC 8656 §18.12):
    // |  Family       |    Reserved             |Class|     Number    |
    // |      Reason Phrase (variable)                                ..
    /// <summary>Appends ADDRESS-ERROR-CODE for the family that could not be allocated.</summary>
    public static void WriteAddressErrorCode(this ref StunMessageWriter writer, AddressFamily family, int code, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        Span<byte> value = stackalloc byte[4 + System.Text.Encoding.UTF8.GetByteCount(reason)];
        value[0] = ToWire(family);
        value[1] = 0;
        value[2] = (byte)(code / 100);
        value[3] = (byte)(code % 100);
        System.Text.Encoding.UTF8.GetBytes(reason, value[4..]);
        writer.WriteAttribute(StunAttributeType.AddressErrorCode, value);
    }

    /// <summary>Reads ADDRESS-ERROR-CODE.</summary>
    public static bool TryGetAddressErrorCode(this StunMessageReader reader, out AddressFamily family, out int code)
    {
        family = AddressFamily.Unspecified;
        code = 0;
        if (!reader.TryGetAttribute(StunAttributeType.AddressErrorCode, out ReadOnlySpan<byte> value) || value.Length < 4)
        {
            return false;
        }

        family = value[0] == FamilyIPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        code = ((value[2] & 0x07) * 100) + value[3];
        return true;
    }

    private static byte ToWire(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => FamilyIPv4,
        AddressFamily.InterNetworkV6 => FamilyIPv6,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "TURN carries IPv4 or IPv6."),
    };
}
