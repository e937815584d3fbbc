using System.Buffers.Binary;

namespace PeerConnect.Stun;

/// <summary>Recognising and framing STUN messages on shared sockets and byte streams.</summary>
public static class StunFraming
{
    /// <summary>
    /// True when the datagram starts like an RFC 5389/8489 message: two zero bits, a length that
    /// is a multiple of 4 and the magic cookie (RFC 8489 §5, RFC 7983 demultiplexing).
    /// </summary>
    public static bool LooksLikeStun(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= StunConstants.HeaderLength
        && (datagram[0] & 0xC0) == 0
        && (datagram[3] & 0x03) == 0
        && BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) == StunConstants.MagicCookie;

    /// <summary>
    /// The total length (header + attributes) of the message whose header starts <paramref name="header"/>,
    /// for framing over TCP and TLS (RFC 8489 §6.2.2). False until 20 bytes are present or when the
    /// header is not STUN.
    /// </summary>
    public static bool TryGetMessageLength(ReadOnlySpan<byte> header, out int totalLength)
    {
        if (!LooksLikeStun(header))
        {
            totalLength = 0;
            return false;
        }

        totalLength = StunConstants.HeaderLength + BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        return true;
    }
}
