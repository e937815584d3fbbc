namespace PeerConnect.Stun;

/// <summary>Why a byte sequence is not a well-formed STUN message.</summary>
public enum StunParseError
{
    /// <summary>No error.</summary>
    None = 0,
    /// <summary>Fewer than 20 bytes: no complete header.</summary>
    TooShort,
    /// <summary>The two most significant bits of the first byte are not zero (RFC 8489 §5).</summary>
    NotStun,
    /// <summary>Bytes 4–7 are not the magic cookie 0x2112A442.</summary>
    BadMagicCookie,
    /// <summary>The header's length field is not a multiple of 4.</summary>
    LengthNotMultipleOfFour,
    /// <summary>The buffer holds fewer bytes than the header's length field declares.</summary>
    Truncated,
    /// <summary>The buffer holds more bytes than the header's length field declares.</summary>
    TrailingBytes,
    /// <summary>The message is larger than the reader's configured maximum.</summary>
    TooLarge,
    /// <summary>An attribute header or value runs past the end of the message.</summary>
    AttributeOverrun,
    /// <summary>An attribute's padding to a 4-byte boundary runs past the end of the message.</summary>
    BadPadding,
    /// <summary>MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 appears twice.</summary>
    DuplicateIntegrity,
    /// <summary>Bytes follow the FINGERPRINT attribute, which must be last (RFC 8489 §14.7).</summary>
    DataAfterFingerprint,
    /// <summary>An integrity or fingerprint attribute has a length its definition does not allow.</summary>
    BadIntegrityLength,
}

/// <summary>Thrown when input is not a well-formed STUN message; <see cref="Error"/> says why.</summary>
public sealed class StunParseException : FormatException
{
    /// <summary>Creates the exception for a parse error.</summary>
    public StunParseException(StunParseError error)
        : base(Describe(error))
    {
        Error = error;
    }

    /// <summary>Creates the exception with no specific error (serialization and tooling only).</summary>
    public StunParseException()
        : this(StunParseError.None)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public StunParseException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public StunParseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The reason the input was rejected.</summary>
    public StunParseError Error { get; }

    /// <summary>A one-line English description of a parse error.</summary>
    public static string Describe(StunParseError error) => error switch
    {
        StunParseError.None => "No error.",
        StunParseError.TooShort => "STUN message shorter than the 20-byte header.",
        StunParseError.NotStun => "First two bits are not zero: not a STUN message.",
        StunParseError.BadMagicCookie => "Magic cookie is not 0x2112A442.",
        StunParseError.LengthNotMultipleOfFour => "STUN message length is not a multiple of 4.",
        StunParseError.Truncated => "STUN message is shorter than its length field declares.",
        StunParseError.TrailingBytes => "Bytes follow the end that the STUN length field declares.",
        StunParseError.TooLarge => "STUN message exceeds the configured maximum length.",
        StunParseError.AttributeOverrun => "A STUN attribute runs past the end of the message.",
        StunParseError.BadPadding => "A STUN attribute's padding runs past the end of the message.",
        StunParseError.DuplicateIntegrity => "MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 appears more than once.",
        StunParseError.DataAfterFingerprint => "Data follows the FINGERPRINT attribute.",
        StunParseError.BadIntegrityLength => "MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 or FINGERPRINT has a wrong length.",
        _ => "Malformed STUN message.",
    };
}
