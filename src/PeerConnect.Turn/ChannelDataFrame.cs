using System.Buffers.Binary;

namespace PeerConnect.Turn;

/// <summary>
/// The TURN ChannelData message (RFC 8656 §12.4):
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         Channel Number        |            Length             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// /                       Application Data                        /
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Length counts the application data only. Over TCP and TLS the message is padded to a multiple
/// of 4 bytes (the padding is not counted); over UDP padding may be present and is ignored.
/// </summary>
public static class ChannelDataFrame
{
    /// <summary>Length of the channel number and length fields.</summary>
    public const int HeaderLength = 4;

    /// <summary>Lowest valid channel number (RFC 8656 §12).</summary>
    public const ushort MinChannelNumber = 0x4000;

    /// <summary>Highest valid channel number (RFC 8656 §12).</summary>
    public const ushort MaxChannelNumber = 0x4FFF;

    /// <summary>True for channel numbers a ChannelBind may use.</summary>
    public static bool IsValidChannelNumber(int channel) => channel is >= MinChannelNumber and <= MaxChannelNumber;

    /// <summary>True when the first byte marks ChannelData (64–79, RFC 7983 §7).</summary>
    public static bool LooksLikeChannelData(ReadOnlySpan<byte> packet) =>
        packet.Length >= HeaderLength && packet[0] is >= 0x40 and <= 0x4F;

    /// <summary>
    /// Reads one ChannelData message from a datagram. Bytes beyond the declared length are padding and
    /// ignored; a datagram shorter than the declared length is discarded (RFC 8656 §12.5).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, out ushort channel, out ReadOnlySpan<byte> data)
    {
        channel = 0;
        data = default;
        if (!LooksLikeChannelData(datagram))
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        int available = datagram.Length - HeaderLength;
        if (length > available)
        {
            return false;
        }

        channel = BinaryPrimitives.ReadUInt16BigEndian(datagram);
        data = datagram.Slice(HeaderLength, length);
        return true;
    }

    /// <summary>
    /// The number of bytes the message starting at <paramref name="header"/> occupies on a stream
    /// (header + data + padding to 4), once 4 bytes are available.
    /// </summary>
    public static bool TryGetStreamFrameLength(ReadOnlySpan<byte> header, out int frameLength)
    {
        frameLength = 0;
        if (!LooksLikeChannelData(header))
        {
            return false;
        }

        frameLength = HeaderLength + ((BinaryPrimitives.ReadUInt16BigEndian(header[2..]) + 3) & ~3);
        return true;
    }

    /// <summary>Bytes needed to write <paramref name="dataLength"/> bytes of data, with or without stream padding.</summary>
    public static int FrameLength(int dataLength, bool padded) =>
        HeaderLength + (padded ? (dataLength + 3) & ~3 : dataLength);

    /// <summary>Writes the header in front of data already in place at <c>destination[4..]</c>, padding when asked.</summary>
    /// <returns>The frame length.</returns>
    public static int WriteHeader(Span<byte> destination, ushort channel, int dataLength, bool padded)
    {
        if (!IsValidChannelNumber(channel))
        {
            throw new ArgumentOutOfRangeException(nameof(channel), channel, "Channel numbers run from 0x4000 to 0x4FFF.");
        }

        if (dataLength > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(dataLength), dataLength, "ChannelData carries at most 65,535 bytes.");
        }

        int frameLength = FrameLength(dataLength, padded);
        BinaryPrimitives.WriteUInt16BigEndian(destination, channel);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)dataLength);
        destination[(HeaderLength + dataLength)..frameLength].Clear();
        return frameLength;
    }

    /// <summary>Writes a whole ChannelData message.</summary>
    /// <returns>The frame length.</returns>
    public static int Write(Span<byte> destination, ushort channel, ReadOnlySpan<byte> data, bool padded)
    {
        data.CopyTo(destination[HeaderLength..]);
        return WriteHeader(destination, channel, data.Length, padded);
    }
}
