using System.Buffers.Binary;
using PeerConnect.Stun;

namespace PeerConnect.Turn.Server;

/// <summary>
/// Builds Data indications (RFC 8656 §11.3) around data already received in place, so relaying a peer datagram
/// to the client copies nothing: the relay loop receives at <see cref="MaxPrefixLength"/> and the prefix is
/// written just in front of the data.
/// <code>
/// | STUN header: Data indication (0x0017), length, cookie, transaction id |  20 bytes
/// | XOR-PEER-ADDRESS (0x0012), length 8 or 20, value                       |  12 or 24 bytes
/// | DATA (0x0013), length                                                  |  4 bytes
/// | application data, padded to 4 (RFC 8489 §14)                           |
/// </code>
/// </summary>
internal static class DataIndication
{
    /// <summary>Room to leave in front of received data: the IPv6 prefix.</summary>
    public const int MaxPrefixLength = StunConstants.HeaderLength + 4 + XorAddress.IPv6Length + 4;

    private static readonly ushort DataIndicationType = new StunMessageType(StunMethod.Data, StunMessageClass.Indication).ToWire();

    public static int PrefixLength(TurnAddress peer) => StunConstants.HeaderLength + 4 + XorAddress.ValueLength(peer) + 4;

    /// <summary>
    /// Writes the prefix ending at <paramref name="dataOffset"/> in <paramref name="buffer"/> and the padding after
    /// the data; returns where the message starts. Its length is <c>prefix + padded data</c>.
    /// </summary>
    public static int Wrap(Span<byte> buffer, int dataOffset, int dataLength, TurnAddress peer, ulong transactionHigh, uint transactionLow, out int messageLength)
    {
        int prefix = PrefixLength(peer);
        int start = dataOffset - prefix;
        int padded = (dataLength + 3) & ~3;
        Span<byte> message = buffer[start..];
        BinaryPrimitives.WriteUInt16BigEndian(message, DataIndicationType);
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], (ushort)(prefix - StunConstants.HeaderLength + padded));
        BinaryPrimitives.WriteUInt32BigEndian(message[4..], StunConstants.MagicCookie);
        BinaryPrimitives.WriteUInt64BigEndian(message[8..], transactionHigh);
        BinaryPrimitives.WriteUInt32BigEndian(message[16..], transactionLow);
        int offset = StunConstants.HeaderLength;
        int valueLength = XorAddress.ValueLength(peer);
        BinaryPrimitives.WriteUInt16BigEndian(message[offset..], (ushort)StunAttributeType.XorPeerAddress);
        BinaryPrimitives.WriteUInt16BigEndian(message[(offset + 2)..], (ushort)valueLength);
        XorAddress.Write(message[(offset + 4)..], message, peer);
        offset += 4 + valueLength;
        BinaryPrimitives.WriteUInt16BigEndian(message[offset..], (ushort)StunAttributeType.Data);
        BinaryPrimitives.WriteUInt16BigEndian(message[(offset + 2)..], (ushort)dataLength);
        message.Slice(prefix + dataLength, padded - dataLength).Clear();
        messageLength = prefix + padded;
        return start;
    }
}
