using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace PeerConnect.Stun;

/// <summary>
/// The address value shared by MAPPED-ADDRESS, XOR-MAPPED-ADDRESS and their relatives
/// (RFC 8489 §14.1, §14.2):
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |0 0 0 0 0 0 0 0|    Family     |         (X-)Port              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 (X-)Address (32 bits or 128 bits)             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// In the XOR form the port is XORed with the top 16 bits of the magic cookie and the address
/// with the magic cookie (IPv4) or the magic cookie followed by the transaction id (IPv6).
/// </summary>
internal static class StunAddressCodec
{
    public const byte FamilyIPv4 = 0x01;
    public const byte FamilyIPv6 = 0x02;
    public const int IPv4ValueLength = 8;
    public const int IPv6ValueLength = 20;
    private const int AddressOffset = 4;

    public static int ValueLength(AddressFamily family) =>
        family == AddressFamily.InterNetworkV6 ? IPv6ValueLength : IPv4ValueLength;

    /// <summary>Decodes an address value; <paramref name="header"/> is the message header when XORed.</summary>
    public static bool TryRead(ReadOnlySpan<byte> value, ReadOnlySpan<byte> header, bool xor, out IPEndPoint endPoint)
    {
        endPoint = null!;
        Span<byte> address = stackalloc byte[16];
        if (!TryRead(value, header, xor, address, out int addressLength, out int port))
        {
            return false;
        }

        endPoint = new IPEndPoint(new IPAddress(address[..addressLength]), port);
        return true;
    }

    /// <summary>Decodes into a caller buffer of at least 16 bytes, without allocation.</summary>
    public static bool TryRead(ReadOnlySpan<byte> value, ReadOnlySpan<byte> header, bool xor, Span<byte> address, out int addressLength, out int port)
    {
        addressLength = 0;
        port = 0;
        if (value.Length < IPv4ValueLength)
        {
            return false;
        }

        byte family = value[1];
        int expected = family switch
        {
            FamilyIPv4 => IPv4ValueLength,
            FamilyIPv6 => IPv6ValueLength,
            _ => -1,
        };
        if (value.Length != expected)
        {
            return false;
        }

        addressLength = expected - AddressOffset;
        port = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
        value.Slice(AddressOffset, addressLength).CopyTo(address);
        if (xor)
        {
            port ^= (int)(StunConstants.MagicCookie >> 16);
            // The XOR key is bytes 4..20 of the header: cookie, then transaction id.
            ReadOnlySpan<byte> key = header.Slice(4, addressLength);
            for (int i = 0; i < addressLength; i++)
            {
                address[i] ^= key[i];
            }
        }

        return true;
    }

    /// <summary>Encodes an address value into exactly <see cref="ValueLength"/> bytes.</summary>
    public static void Write(Span<byte> value, ReadOnlySpan<byte> header, bool xor, ReadOnlySpan<byte> address, int port)
    {
        value[0] = 0;
        value[1] = address.Length == 16 ? FamilyIPv6 : FamilyIPv4;
        int wirePort = xor ? port ^ (int)(StunConstants.MagicCookie >> 16) : port;
        BinaryPrimitives.WriteUInt16BigEndian(value[2..], (ushort)wirePort);
        Span<byte> target = value.Slice(AddressOffset, address.Length);
        address.CopyTo(target);
        if (xor)
        {
            ReadOnlySpan<byte> key = header.Slice(4, address.Length);
            for (int i = 0; i < target.Length; i++)
            {
                target[i] ^= key[i];
            }
        }
    }
}
