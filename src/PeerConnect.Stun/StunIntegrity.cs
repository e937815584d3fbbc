using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;

namespace PeerConnect.Stun;

/// <summary>
/// MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.5, §14.6) and FINGERPRINT (§14.7).
/// The HMAC covers the message up to the integrity attribute, with the header's length field set
/// as if the integrity attribute were the last one; FINGERPRINT's CRC covers everything before it.
/// </summary>
internal static class StunIntegrity
{
    private const int StackCopyLimit = 1024;

    /// <summary>
    /// HMAC of <paramref name="message"/>[0..<paramref name="attributeOffset"/>) with the length field
    /// rewritten to end after an attribute of <paramref name="valueLength"/> bytes at that offset.
    /// </summary>
    public static void ComputeOverPrefix(ReadOnlySpan<byte> message, int attributeOffset, int valueLength, bool sha256, ReadOnlySpan<byte> key, Span<byte> mac)
    {
        int declaredLength = attributeOffset + StunConstants.AttributeHeaderLength + valueLength - StunConstants.HeaderLength;
        byte[]? rented = null;
        // Sized to the prefix: stackalloc zero-fills, and a fixed 1 KiB would cost more than the copy itself.
        Span<byte> copy = attributeOffset <= StackCopyLimit
            ? stackalloc byte[attributeOffset]
            : (rented = ArrayPool<byte>.Shared.Rent(attributeOffset)).AsSpan(0, attributeOffset);
        message[..attributeOffset].CopyTo(copy);
        BinaryPrimitives.WriteUInt16BigEndian(copy[2..], (ushort)declaredLength);
        Compute(copy, sha256, key, mac);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>HMAC-SHA1, or HMAC-SHA256 truncated to <paramref name="mac"/>'s length.</summary>
    public static void Compute(ReadOnlySpan<byte> data, bool sha256, ReadOnlySpan<byte> key, Span<byte> mac)
    {
        if (!sha256)
        {
            HMACSHA1.HashData(key, data, mac);
            return;
        }

        if (mac.Length == StunConstants.MessageIntegritySha256Length)
        {
            HMACSHA256.HashData(key, data, mac);
            return;
        }

        Span<byte> full = stackalloc byte[StunConstants.MessageIntegritySha256Length];
        HMACSHA256.HashData(key, data, full);
        full[..mac.Length].CopyTo(mac);
    }

    /// <summary>CRC-32 of the bytes before the FINGERPRINT attribute, XORed with 0x5354554E.</summary>
    public static uint Fingerprint(ReadOnlySpan<byte> prefix) => Crc32.HashToUInt32(prefix) ^ StunConstants.FingerprintXor;
}
