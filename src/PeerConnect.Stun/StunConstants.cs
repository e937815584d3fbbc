namespace PeerConnect.Stun;

/// <summary>Fixed values of the STUN wire format (RFC 8489 §5).</summary>
public static class StunConstants
{
    /// <summary>Length of the fixed STUN header: type, length, magic cookie, transaction id.</summary>
    public const int HeaderLength = 20;

    /// <summary>The magic cookie every RFC 5389/8489 message carries in bytes 4–7.</summary>
    public const uint MagicCookie = 0x2112A442;

    /// <summary>
    /// Largest message the reader accepts by default. The length field allows 65,535 bytes of
    /// attributes; a UDP datagram cannot carry more either.
    /// </summary>
    public const int DefaultMaxMessageLength = HeaderLength + ushort.MaxValue;

    /// <summary>XORed into the CRC-32 of a FINGERPRINT attribute (RFC 8489 §14.7).</summary>
    public const uint FingerprintXor = 0x5354554E;

    /// <summary>Length of a MESSAGE-INTEGRITY value: one HMAC-SHA1 (RFC 8489 §14.5).</summary>
    public const int MessageIntegrityLength = 20;

    /// <summary>Full length of a MESSAGE-INTEGRITY-SHA256 value (RFC 8489 §14.6).</summary>
    public const int MessageIntegritySha256Length = 32;

    /// <summary>Shortest truncated MESSAGE-INTEGRITY-SHA256 value allowed (RFC 8489 §14.6).</summary>
    public const int MessageIntegritySha256MinLength = 16;

    /// <summary>Length of a FINGERPRINT value.</summary>
    public const int FingerprintLength = 4;

    /// <summary>Length of the attribute header: type and length (RFC 8489 §14).</summary>
    public const int AttributeHeaderLength = 4;
}
