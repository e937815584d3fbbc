namespace PeerConnect.Stun.Transport;

/// <summary>
/// Reads whole STUN messages from a TCP or TLS stream. RFC 8489 §6.2.2 frames nothing extra: each message's
/// length comes from its own header (20 bytes plus the Message Length field).
/// </summary>
internal static class StunStreamFramer
{
    /// <summary>
    /// Reads one message into <paramref name="buffer"/>. Returns its length, or 0 when the peer closed the stream
    /// cleanly between messages. With <paramref name="acceptChannelData"/>, TURN ChannelData frames (first byte
    /// 0x40–0x7F: RFC 8656 channels and RFC 5766's wider range) are read too, with their padding to 4 bytes (RFC 8656 §12.5):
    /// <code>
    /// | Channel Number (16) | Length (16) | Application Data (Length) | padding to 4 |
    /// </code>
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not STUN, the message is longer than the buffer, or the stream ended inside a message.</exception>
    public static async ValueTask<int> ReadMessageAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken, bool acceptChannelData = false)
    {
        // Four bytes first: a ChannelData frame may be shorter than a STUN header.
        const int ChannelDataHeaderLength = 4;
        int header = await stream.ReadAtLeastAsync(buffer[..ChannelDataHeaderLength], ChannelDataHeaderLength, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (header == 0)
        {
            return 0;
        }
        if (header < ChannelDataHeaderLength)
        {
            throw new InvalidDataException("The stream ended inside a message header.");
        }
        if (acceptChannelData && buffer.Span[0] is >= 0x40 and <= 0x7F)
        {
            int length = (buffer.Span[2] << 8) | buffer.Span[3];
            int frame = ChannelDataHeaderLength + ((length + 3) & ~3);
            if (frame > buffer.Length)
            {
                throw new InvalidDataException($"A {frame}-byte ChannelData frame exceeds the {buffer.Length}-byte limit.");
            }
            await stream.ReadExactlyAsync(buffer[header..frame], cancellationToken).ConfigureAwait(false);
            return frame;
        }
        if (header < StunConstants.HeaderLength)
        {
            int rest = await stream.ReadAtLeastAsync(buffer[header..StunConstants.HeaderLength], StunConstants.HeaderLength - header, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (rest < StunConstants.HeaderLength - header)
            {
                throw new InvalidDataException("The stream ended inside a STUN header.");
            }
        }
        if (!StunFraming.LooksLikeStun(buffer.Span[..StunConstants.HeaderLength])
            || !StunFraming.TryGetMessageLength(buffer.Span[..StunConstants.HeaderLength], out int total))
        {
            throw new InvalidDataException("The stream does not carry STUN messages.");
        }
        if (total > buffer.Length)
        {
            throw new InvalidDataException($"A {total}-byte STUN message exceeds the {buffer.Length}-byte limit.");
        }
        await stream.ReadExactlyAsync(buffer[StunConstants.HeaderLength..total], cancellationToken).ConfigureAwait(false);
        return total;
    }
}
