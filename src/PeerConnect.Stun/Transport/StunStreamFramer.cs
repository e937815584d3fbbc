namespace PeerConnect.Stun.Transport;

/// <summary>
/// Reads whole STUN messages from a TCP or TLS stream. RFC 8489 §6.2.2 frames nothing extra: each message's
/// length comes from its own header (20 bytes plus the Message Length field).
/// </summary>
internal static class StunStreamFramer
{
    /// <summary>
    /// Reads one message into <paramref name="buffer"/>. Returns its length, or 0 when the peer closed the stream
    /// cleanly between messages.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not STUN, the message is longer than the buffer, or the stream ended inside a message.</exception>
    public static async ValueTask<int> ReadMessageAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int header = await stream.ReadAtLeastAsync(buffer[..StunConstants.HeaderLength], StunConstants.HeaderLength, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (header == 0)
        {
            return 0;
        }
        if (header < StunConstants.HeaderLength)
        {
            throw new InvalidDataException("The stream ended inside a STUN header.");
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
