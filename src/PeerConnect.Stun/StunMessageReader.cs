using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace PeerConnect.Stun;

/// <summary>
/// A validated, read-only view of one STUN message over the caller's bytes (RFC 8489 §5, §14).
/// Parsing checks the header and walks every attribute once; nothing is copied or allocated.
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |0 0|     STUN Message Type     |         Message Length        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Magic Cookie                          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     Transaction ID (96 bits)                  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         Type                  |            Length             |  attributes (RFC 8489 §14),
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  each value padded to 4 bytes
/// |                         Value (variable)                ....
/// </code>
/// Attributes after MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, and
/// after MESSAGE-INTEGRITY-SHA256 other than FINGERPRINT, are ignored (RFC 8489 §14.5, §14.6).
/// </summary>
public readonly ref struct StunMessageReader
{
    private const int NotPresent = -1;

    private readonly int _integrityOffset;
    private readonly int _integritySha256Offset;
    private readonly int _fingerprintOffset;

    private StunMessageReader(ReadOnlySpan<byte> message, int integrityOffset, int integritySha256Offset, int fingerprintOffset)
    {
        Message = message;
        _integrityOffset = integrityOffset;
        _integritySha256Offset = integritySha256Offset;
        _fingerprintOffset = fingerprintOffset;
        Type = StunMessageType.FromWire(BinaryPrimitives.ReadUInt16BigEndian(message));
    }

    /// <summary>The whole message, header included.</summary>
    public ReadOnlySpan<byte> Message { get; }

    /// <summary>The message type.</summary>
    public StunMessageType Type { get; }

    /// <summary>The method.</summary>
    public StunMethod Method => Type.Method;

    /// <summary>The class.</summary>
    public StunMessageClass Class => Type.Class;

    /// <summary>The transaction id.</summary>
    public TransactionId TransactionId => TransactionId.Read(Message.Slice(8, TransactionId.Length));

    /// <summary>True when the message carries MESSAGE-INTEGRITY.</summary>
    public bool HasMessageIntegrity => _integrityOffset != NotPresent;

    /// <summary>True when the message carries MESSAGE-INTEGRITY-SHA256.</summary>
    public bool HasMessageIntegritySha256 => _integritySha256Offset != NotPresent;

    /// <summary>True when the message carries FINGERPRINT.</summary>
    public bool HasFingerprint => _fingerprintOffset != NotPresent;

    /// <summary>The attributes that count, in wire order.</summary>
    public StunAttributeEnumerator Attributes => new(Message, IgnoreFrom);

    // Offset of the first attribute whose type is ignored unless it is integrity/fingerprint.
    private int IgnoreFrom =>
        _integrityOffset != NotPresent ? _integrityOffset
        : _integritySha256Offset != NotPresent ? _integritySha256Offset
        : Message.Length;

    /// <summary>Parses and validates a message.</summary>
    /// <exception cref="StunParseException">The bytes are not a well-formed STUN message.</exception>
    public static StunMessageReader Parse(ReadOnlySpan<byte> message, int maxMessageLength = StunConstants.DefaultMaxMessageLength)
    {
        if (!TryParse(message, out StunMessageReader reader, out StunParseError error, maxMessageLength))
        {
            throw new StunParseException(error);
        }

        return reader;
    }

    /// <summary>Parses and validates a message; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(ReadOnlySpan<byte> message, out StunMessageReader reader, out StunParseError error, int maxMessageLength = StunConstants.DefaultMaxMessageLength)
    {
        reader = default;
        error = Validate(message, maxMessageLength, out int integrity, out int integritySha256, out int fingerprint);
        if (error != StunParseError.None)
        {
            return false;
        }

        reader = new StunMessageReader(message, integrity, integritySha256, fingerprint);
        return true;
    }

    private static StunParseError Validate(ReadOnlySpan<byte> message, int maxMessageLength, out int integrity, out int integritySha256, out int fingerprint)
    {
        integrity = integritySha256 = fingerprint = NotPresent;
        if (message.Length < StunConstants.HeaderLength)
        {
            return StunParseError.TooShort;
        }

        if ((message[0] & 0xC0) != 0)
        {
            return StunParseError.NotStun;
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(message[4..]) != StunConstants.MagicCookie)
        {
            return StunParseError.BadMagicCookie;
        }

        int declared = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        int total = StunConstants.HeaderLength + declared;
        if (total > maxMessageLength)
        {
            return StunParseError.TooLarge;
        }

        if (message.Length < total)
        {
            return StunParseError.Truncated;
        }

        if (message.Length > total)
        {
            return StunParseError.TrailingBytes;
        }

        int offset = StunConstants.HeaderLength;
        while (offset < total)
        {
            if (fingerprint != NotPresent)
            {
                return StunParseError.DataAfterFingerprint;
            }

            // Offsets stay 4-aligned, so a length field that is not a multiple of 4 always ends here
            // or at a value whose padding is missing; both are reported as what they are.
            if (total - offset < StunConstants.AttributeHeaderLength)
            {
                return (declared & 3) != 0 ? StunParseError.LengthNotMultipleOfFour : StunParseError.AttributeOverrun;
            }

            ushort type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
            int valueStart = offset + StunConstants.AttributeHeaderLength;
            if (length > total - valueStart)
            {
                return StunParseError.AttributeOverrun;
            }

            int padded = (length + 3) & ~3;
            if (padded > total - valueStart)
            {
                return StunParseError.BadPadding;
            }

            switch ((StunAttributeType)type)
            {
                case StunAttributeType.MessageIntegrity:
                    if (integrity != NotPresent)
                    {
                        return StunParseError.DuplicateIntegrity;
                    }

                    if (length != StunConstants.MessageIntegrityLength)
                    {
                        return StunParseError.BadIntegrityLength;
                    }

                    // After MESSAGE-INTEGRITY-SHA256 a MESSAGE-INTEGRITY is one of the ignored attributes.
                    if (integritySha256 == NotPresent)
                    {
                        integrity = offset;
                    }

                    break;
                case StunAttributeType.MessageIntegritySha256:
                    if (integritySha256 != NotPresent)
                    {
                        return StunParseError.DuplicateIntegrity;
                    }

                    if (length < StunConstants.MessageIntegritySha256MinLength
                        || length > StunConstants.MessageIntegritySha256Length
                        || (length & 3) != 0)
                    {
                        return StunParseError.BadIntegrityLength;
                    }

                    integritySha256 = offset;
                    break;
                case StunAttributeType.Fingerprint:
                    if (length != StunConstants.FingerprintLength)
                    {
                        return StunParseError.BadIntegrityLength;
                    }

                    fingerprint = offset;
                    break;
            }

            offset = valueStart + padded;
        }

        return StunParseError.None;
    }

    /// <summary>The value of the first counted attribute of <paramref name="type"/>.</summary>
    public bool TryGetAttribute(StunAttributeType type, out ReadOnlySpan<byte> value)
    {
        foreach (StunAttribute attribute in Attributes)
        {
            if (attribute.Type == (ushort)type)
            {
                value = attribute.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>True when an attribute of <paramref name="type"/> is present (e.g. USE-CANDIDATE).</summary>
    public bool HasAttribute(StunAttributeType type) => TryGetAttribute(type, out _);

    /// <summary>Reads an XOR-encoded address (XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS).</summary>
    public bool TryGetXorAddress(StunAttributeType type, out IPEndPoint endPoint)
    {
        endPoint = null!;
        return TryGetAttribute(type, out ReadOnlySpan<byte> value)
            && StunAddressCodec.TryRead(value, Message, xor: true, out endPoint);
    }

    /// <summary>Reads an XOR-encoded address into a caller buffer of at least 16 bytes, without allocation.</summary>
    public bool TryGetXorAddress(StunAttributeType type, Span<byte> address, out int addressLength, out int port)
    {
        addressLength = port = 0;
        return TryGetAttribute(type, out ReadOnlySpan<byte> value)
            && StunAddressCodec.TryRead(value, Message, xor: true, address, out addressLength, out port);
    }

    /// <summary>Reads a plain address (MAPPED-ADDRESS, ALTERNATE-SERVER, RESPONSE-ORIGIN, OTHER-ADDRESS).</summary>
    public bool TryGetAddress(StunAttributeType type, out IPEndPoint endPoint)
    {
        endPoint = null!;
        return TryGetAttribute(type, out ReadOnlySpan<byte> value)
            && StunAddressCodec.TryRead(value, Message, xor: false, out endPoint);
    }

    /// <summary>Reads ERROR-CODE (RFC 8489 §14.8).</summary>
    /// <remarks>
    /// <code>
    /// |           Reserved, should be 0         |Class|     Number    |
    /// |      Reason Phrase (variable)                                ..
    /// </code>
    /// </remarks>
    public bool TryGetErrorCode(out int code, out string reason)
    {
        code = 0;
        reason = string.Empty;
        if (!TryGetAttribute(StunAttributeType.ErrorCode, out ReadOnlySpan<byte> value) || value.Length < 4)
        {
            return false;
        }

        int errorClass = value[2] & 0x07;
        int number = value[3];
        if (errorClass is < 3 or > 6 || number > 99 || !IsValidUtf8(value[4..]))
        {
            return false;
        }

        code = (errorClass * 100) + number;
        reason = Encoding.UTF8.GetString(value[4..]);
        return true;
    }

    /// <summary>Reads a UTF-8 text attribute (USERNAME, REALM, NONCE, SOFTWARE, ALTERNATE-DOMAIN).</summary>
    public bool TryGetString(StunAttributeType type, out string value)
    {
        value = string.Empty;
        if (!TryGetAttribute(type, out ReadOnlySpan<byte> raw) || !IsValidUtf8(raw))
        {
            return false;
        }

        value = Encoding.UTF8.GetString(raw);
        return true;
    }

    /// <summary>Reads a 32-bit attribute (PRIORITY, LIFETIME, CHANGE-REQUEST…).</summary>
    public bool TryGetUInt32(StunAttributeType type, out uint value)
    {
        value = 0;
        if (!TryGetAttribute(type, out ReadOnlySpan<byte> raw) || raw.Length != 4)
        {
            return false;
        }

        value = BinaryPrimitives.ReadUInt32BigEndian(raw);
        return true;
    }

    /// <summary>Reads a 64-bit attribute (ICE-CONTROLLED, ICE-CONTROLLING, RESERVATION-TOKEN).</summary>
    public bool TryGetUInt64(StunAttributeType type, out ulong value)
    {
        value = 0;
        if (!TryGetAttribute(type, out ReadOnlySpan<byte> raw) || raw.Length != 8)
        {
            return false;
        }

        value = BinaryPrimitives.ReadUInt64BigEndian(raw);
        return true;
    }

    /// <summary>Reads CHANGE-REQUEST (RFC 5780 §7.2): flag A (0x4) changes the IP, flag B (0x2) the port.</summary>
    public bool TryGetChangeRequest(out bool changeIp, out bool changePort)
    {
        changeIp = changePort = false;
        if (!TryGetUInt32(StunAttributeType.ChangeRequest, out uint flags))
        {
            return false;
        }

        changeIp = (flags & StunMessageWriter.ChangeIpFlag) != 0;
        changePort = (flags & StunMessageWriter.ChangePortFlag) != 0;
        return true;
    }

    /// <summary>Reads RESPONSE-PORT (RFC 5780 §7.5): a 16-bit port followed by 16 reserved bits.</summary>
    public bool TryGetResponsePort(out int port)
    {
        port = 0;
        if (!TryGetAttribute(StunAttributeType.ResponsePort, out ReadOnlySpan<byte> raw) || raw.Length != 4)
        {
            return false;
        }

        port = BinaryPrimitives.ReadUInt16BigEndian(raw);
        return true;
    }

    /// <summary>Reads PASSWORD-ALGORITHM (RFC 8489 §14.12).</summary>
    public bool TryGetPasswordAlgorithm(out StunPasswordAlgorithm algorithm)
    {
        algorithm = default;
        if (!TryGetAttribute(StunAttributeType.PasswordAlgorithm, out ReadOnlySpan<byte> raw))
        {
            return false;
        }

        return TryReadAlgorithmEntry(raw, out algorithm, out int consumed) && consumed == raw.Length;
    }

    /// <summary>Reads PASSWORD-ALGORITHMS (RFC 8489 §14.11) into <paramref name="destination"/>.</summary>
    /// <returns>The number of entries, or -1 when the attribute is absent, malformed or does not fit.</returns>
    public int CopyPasswordAlgorithms(Span<StunPasswordAlgorithm> destination)
    {
        if (!TryGetAttribute(StunAttributeType.PasswordAlgorithms, out ReadOnlySpan<byte> raw))
        {
            return -1;
        }

        int count = 0;
        while (!raw.IsEmpty)
        {
            if (count == destination.Length || !TryReadAlgorithmEntry(raw, out destination[count], out int consumed))
            {
                return -1;
            }

            count++;
            raw = raw[consumed..];
        }

        return count;
    }

    // RFC 8489 §14.11: Algorithm (16 bits), Algorithm Parameters Length (16 bits), parameters padded to 4.
    private static bool TryReadAlgorithmEntry(ReadOnlySpan<byte> raw, out StunPasswordAlgorithm algorithm, out int consumed)
    {
        algorithm = default;
        consumed = 0;
        if (raw.Length < 4)
        {
            return false;
        }

        int parametersLength = BinaryPrimitives.ReadUInt16BigEndian(raw[2..]);
        int padded = (parametersLength + 3) & ~3;
        if (padded > raw.Length - 4)
        {
            return false;
        }

        algorithm = (StunPasswordAlgorithm)BinaryPrimitives.ReadUInt16BigEndian(raw);
        consumed = 4 + padded;
        return true;
    }

    /// <summary>Reads UNKNOWN-ATTRIBUTES (RFC 8489 §14.13) into <paramref name="destination"/>.</summary>
    /// <returns>The number of types, or -1 when absent, malformed or too many for the destination.</returns>
    public int CopyUnknownAttributes(Span<ushort> destination)
    {
        if (!TryGetAttribute(StunAttributeType.UnknownAttributes, out ReadOnlySpan<byte> raw) || (raw.Length & 1) != 0 || raw.Length / 2 > destination.Length)
        {
            return -1;
        }

        for (int i = 0; i < raw.Length / 2; i++)
        {
            destination[i] = BinaryPrimitives.ReadUInt16BigEndian(raw[(i * 2)..]);
        }

        return raw.Length / 2;
    }

    /// <summary>
    /// Copies the comprehension-required attribute types this library does not understand, each once,
    /// for a 420 response (RFC 8489 §6.3.1.1).
    /// </summary>
    /// <returns>How many were found; only the first <paramref name="destination"/>.Length are copied.</returns>
    public int CopyUnknownComprehensionRequired(Span<ushort> destination)
    {
        int found = 0;
        foreach (StunAttribute attribute in Attributes)
        {
            if (!StunAttributeTypes.IsComprehensionRequired(attribute.Type) || StunAttributeTypes.IsKnown(attribute.Type))
            {
                continue;
            }

            int copied = Math.Min(found, destination.Length);
            if (destination[..copied].Contains(attribute.Type))
            {
                continue;
            }

            if (found < destination.Length)
            {
                destination[found] = attribute.Type;
            }

            found++;
        }

        return found;
    }

    /// <summary>Checks MESSAGE-INTEGRITY (HMAC-SHA1) with <paramref name="key"/>, in constant time.</summary>
    public bool VerifyMessageIntegrity(ReadOnlySpan<byte> key) =>
        VerifyIntegrity(_integrityOffset, sha256: false, key);

    /// <summary>Checks MESSAGE-INTEGRITY-SHA256 (full or truncated) with <paramref name="key"/>, in constant time.</summary>
    public bool VerifyMessageIntegritySha256(ReadOnlySpan<byte> key) =>
        VerifyIntegrity(_integritySha256Offset, sha256: true, key);

    private bool VerifyIntegrity(int offset, bool sha256, ReadOnlySpan<byte> key)
    {
        if (offset == NotPresent)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(Message[(offset + 2)..]);
        ReadOnlySpan<byte> received = Message.Slice(offset + StunConstants.AttributeHeaderLength, length);
        Span<byte> expected = stackalloc byte[StunConstants.MessageIntegritySha256Length];
        expected = expected[..length];
        StunIntegrity.ComputeOverPrefix(Message, offset, length, sha256, key, expected);
        return CryptographicOperations.FixedTimeEquals(expected, received);
    }

    /// <summary>Checks FINGERPRINT (RFC 8489 §14.7).</summary>
    public bool VerifyFingerprint()
    {
        if (_fingerprintOffset == NotPresent)
        {
            return false;
        }

        uint received = BinaryPrimitives.ReadUInt32BigEndian(Message[(_fingerprintOffset + StunConstants.AttributeHeaderLength)..]);
        return StunIntegrity.Fingerprint(Message[.._fingerprintOffset]) == received;
    }

    private static bool IsValidUtf8(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes);
}
