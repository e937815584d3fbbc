using System.Buffers.Binary;
using PeerConnect.Stun;

namespace PeerConnect.Turn.Server;

/// <summary>
/// XOR-PEER-ADDRESS / XOR-RELAYED-ADDRESS values (RFC 8656 §18.3, §18.5; encoding of RFC 8489 §14.2) read and
/// written straight to and from <see cref="TurnAddress"/>, for the relay path and for requests that carry several
/// peer addresses (CreatePermission, RFC 8656 §10.1).
/// <code>
/// |0 0 0 0 0 0 0 0|    Family     |         X-Port                |
/// |                X-Address (32 bits or 128 bits)                |
/// </code>
/// X-Port is the port XOR the top 16 bits of the magic cookie; X-Address is the address XOR the magic cookie
/// (IPv4) or XOR the magic cookie followed by the transaction id (IPv6).
/// </summary>
internal static class XorAddress
{
    public const int IPv4Length = 8;
    public const int IPv6Length = 20;
    private const byte FamilyIPv4 = 0x01;
    private const byte FamilyIPv6 = 0x02;

    /// <summary>Decodes a value; <paramref name="header"/> is the first 20 bytes of its message.</summary>
    public static bool TryRead(ReadOnlySpan<byte> value, ReadOnlySpan<byte> header, out TurnAddress address)
    {
        address = default;
        int length = value.Length switch
        {
            IPv4Length when value[1] == FamilyIPv4 => 4,
            IPv6Length when value[1] == FamilyIPv6 => 16,
            _ => 0,
        };
        if (length == 0)
        {
            return false;
        }
        Span<byte> raw = stackalloc byte[16];
        for (int i = 0; i < length; i++)
        {
            raw[i] = (byte)(value[4 + i] ^ header[4 + i]);
        }
        int port = BinaryPrimitives.ReadUInt16BigEndian(value[2..]) ^ (int)(StunConstants.MagicCookie >> 16);
        address = TurnAddress.FromBytes(raw[..length], port);
        return true;
    }

    /// <summary>Encodes <paramref name="address"/> into <paramref name="value"/> (8 or 20 bytes).</summary>
    /// <returns>The value length.</returns>
    public static int Write(Span<byte> value, ReadOnlySpan<byte> header, TurnAddress address)
    {
        value[0] = 0;
        value[1] = address.IsIPv4 ? FamilyIPv4 : FamilyIPv6;
        BinaryPrimitives.WriteUInt16BigEndian(value[2..], (ushort)(address.Port ^ (int)(StunConstants.MagicCookie >> 16)));
        int length = address.WriteAddress(value[4..]);
        for (int i = 0; i < length; i++)
        {
            value[4 + i] ^= header[4 + i];
        }
        return 4 + length;
    }

    public static int ValueLength(TurnAddress address) => address.IsIPv4 ? IPv4Length : IPv6Length;
}
