using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace PeerConnect.Stun.Server;

/// <summary>
/// Reads the address and port straight out of a <see cref="SocketAddress"/> so the UDP hot path never builds an
/// <see cref="IPEndPoint"/>. The layout is the C sockaddr one (RFC 3493 §3.3, §3.4), which .NET keeps on every
/// platform; only the family field differs, and <see cref="SocketAddress.Family"/> decodes it.
/// <code>
/// sockaddr_in:   | family (2) | port (2, network order) | IPv4 address (4) | zero (8)          |
/// sockaddr_in6:  | family (2) | port (2, network order) | flow info (4)    | IPv6 address (16) | scope id (4) |
/// </code>
/// </summary>
internal static class SocketAddressBytes
{
    private const int PortOffset = 2;
    private const int IPv4AddressOffset = 4;
    private const int IPv6AddressOffset = 8;

    /// <summary>Copies the address (4 or 16 bytes) into <paramref name="address"/> and reads the port.</summary>
    public static bool TryRead(SocketAddress socketAddress, Span<byte> address, out int length, out int port)
    {
        ReadOnlySpan<byte> raw = socketAddress.Buffer.Span[..socketAddress.Size];
        (int offset, length) = socketAddress.Family switch
        {
            AddressFamily.InterNetwork => (IPv4AddressOffset, 4),
            AddressFamily.InterNetworkV6 => (IPv6AddressOffset, 16),
            _ => (0, 0),
        };
        if (length == 0 || raw.Length < offset + length)
        {
            length = port = 0;
            return false;
        }
        port = BinaryPrimitives.ReadUInt16BigEndian(raw[PortOffset..]);
        raw.Slice(offset, length).CopyTo(address);
        return true;
    }

    /// <summary>Makes <paramref name="destination"/> a copy of <paramref name="source"/> with another port (RFC 5780 RESPONSE-PORT).</summary>
    public static void CopyWithPort(SocketAddress source, SocketAddress destination, int port)
    {
        destination.Size = source.Size;
        source.Buffer.Span[..source.Size].CopyTo(destination.Buffer.Span);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Buffer.Span[PortOffset..], (ushort)port);
    }
}
