using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace PeerConnect.Stun;

/// <summary>
/// Writes one STUN message into a caller buffer (RFC 8489 §5, §14), attribute by attribute, keeping
/// the header's length field current so integrity and fingerprint can be appended last.
/// Allocates nothing.
/// </summary>
public ref struct StunMessageWriter
{
    /// <summary>CHANGE-REQUEST flag A: answer from the alternate IP address (RFC 5780 §7.2).</summary>
    public const uint ChangeIpFlag = 0x4;

    /// <summary>CHANGE-REQUEST flag B: answer from the alternate port (RFC 5780 §7.2).</summary>
    public const uint ChangePortFlag = 0x2;

    private readonly Span<byte> _buffer;
    private readonly byte _paddingByte;
    private int _length;

    /// <summary>Starts a message of <paramref name="type"/> with <paramref name="transactionId"/>.</summary>
    /// <exception cref="ArgumentException">The destination cannot hold the header.</exception>
    public StunMessageWriter(Span<byte> destination, StunMessageType type, TransactionId transactionId)
        : this(destination, type, transactionId, paddingByte: 0)
    {
    }

    /// <summary>For testing: RFC 5769's vectors pad with spaces, which the RFC allows any sender to do.</summary>
    internal StunMessageWriter(Span<byte> destination, StunMessageType type, TransactionId transactionId, byte paddingByte)
    {
        if (destination.Length < StunConstants.HeaderLength)
        {
            throw new ArgumentException("The destination cannot hold a STUN header.", nameof(destination));
        }

        _buffer = destination;
        _paddingByte = paddingByte;
        BinaryPrimitives.WriteUInt16BigEndian(destination, type.ToWire());
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], StunConstants.MagicCookie);
        transactionId.CopyTo(destination[8..]);
        _length = StunConstants.HeaderLength;
        UpdateLengthField();
    }

    /// <summary>Bytes written so far: the whole message as it stands.</summary>
    public readonly int Length => _length;

    /// <summary>The message as it stands.</summary>
    public readonly ReadOnlySpan<byte> WrittenSpan => _buffer[.._length];

    /// <summary>Appends an attribute with a raw value, padding it to 4 bytes.</summary>
    public void WriteAttribute(StunAttributeType type, scoped ReadOnlySpan<byte> value) => WriteAttribute((ushort)type, value);

    /// <summary>Appends an attribute of any type number (for extensions and tests).</summary>
    public void WriteAttribute(ushort type, scoped ReadOnlySpan<byte> value)
    {
        value.CopyTo(Reserve(type, value.Length));
        Commit(value.Length);
    }

    /// <summary>Appends a UTF-8 text attribute (USERNAME, REALM, NONCE, SOFTWARE…).</summary>
    public void WriteString(StunAttributeType type, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int byteCount = Encoding.UTF8.GetByteCount(value);
        if (byteCount > ushort.MaxValue)
        {
            throw new ArgumentException("The text is longer than an attribute can hold.", nameof(value));
        }

        Encoding.UTF8.GetBytes(value, Reserve((ushort)type, byteCount));
        Commit(byteCount);
    }

    /// <summary>Appends a zero-length attribute (USE-CANDIDATE, DONT-FRAGMENT).</summary>
    public void WriteFlag(StunAttributeType type) => WriteAttribute(type, ReadOnlySpan<byte>.Empty);

    /// <summary>Appends a 32-bit attribute (PRIORITY, LIFETIME…).</summary>
    public void WriteUInt32(StunAttributeType type, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(Reserve((ushort)type, 4), value);
        Commit(4);
    }

    /// <summary>Appends a 64-bit attribute (ICE-CONTROLLED, ICE-CONTROLLING, RESERVATION-TOKEN).</summary>
    public void WriteUInt64(StunAttributeType type, ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(Reserve((ushort)type, 8), value);
        Commit(8);
    }

    /// <summary>Appends an XOR-encoded address (XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS).</summary>
    public void WriteXorAddress(StunAttributeType type, IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        Span<byte> address = stackalloc byte[16];
        endPoint.Address.TryWriteBytes(address, out int written);
        WriteXorAddress(type, address[..written], endPoint.Port);
    }

    /// <summary>Appends an XOR-encoded address from raw address bytes (4 or 16), without allocation.</summary>
    public void WriteXorAddress(StunAttributeType type, scoped ReadOnlySpan<byte> address, int port) =>
        WriteAddressValue(type, address, port, xor: true);

    /// <summary>Appends a plain address (MAPPED-ADDRESS, ALTERNATE-SERVER, RESPONSE-ORIGIN, OTHER-ADDRESS).</summary>
    public void WriteAddress(StunAttributeType type, IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        Span<byte> address = stackalloc byte[16];
        endPoint.Address.TryWriteBytes(address, out int written);
        WriteAddressValue(type, address[..written], endPoint.Port, xor: false);
    }

    private void WriteAddressValue(StunAttributeType type, scoped ReadOnlySpan<byte> address, int port, bool xor)
    {
        if (address.Length is not (4 or 16))
        {
            throw new ArgumentException("An address is 4 (IPv4) or 16 (IPv6) bytes.", nameof(address));
        }

        int length = address.Length == 16 ? StunAddressCodec.IPv6ValueLength : StunAddressCodec.IPv4ValueLength;
        StunAddressCodec.Write(Reserve((ushort)type, length), _buffer, xor, address, port);
        Commit(length);
    }

    /// <summary>Appends ERROR-CODE (RFC 8489 §14.8) with a code from 300 to 699.</summary>
    public void WriteErrorCode(int code, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (code is < 300 or > 699)
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "STUN error codes run from 300 to 699.");
        }

        int reasonLength = Encoding.UTF8.GetByteCount(reason);
        Span<byte> value = Reserve((ushort)StunAttributeType.ErrorCode, 4 + reasonLength);
        value[0] = 0;
        value[1] = 0;
        value[2] = (byte)(code / 100);
        value[3] = (byte)(code % 100);
        Encoding.UTF8.GetBytes(reason, value[4..]);
        Commit(4 + reasonLength);
    }

    /// <summary>Appends UNKNOWN-ATTRIBUTES (RFC 8489 §14.13).</summary>
    public void WriteUnknownAttributes(scoped ReadOnlySpan<ushort> types)
    {
        Span<byte> value = Reserve((ushort)StunAttributeType.UnknownAttributes, types.Length * 2);
        for (int i = 0; i < types.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(value[(i * 2)..], types[i]);
        }

        Commit(types.Length * 2);
    }

    /// <summary>Appends CHANGE-REQUEST (RFC 5780 §7.2).</summary>
    public void WriteChangeRequest(bool changeIp, bool changePort) =>
        WriteUInt32(StunAttributeType.ChangeRequest, (changeIp ? ChangeIpFlag : 0) | (changePort ? ChangePortFlag : 0));

    /// <summary>Appends RESPONSE-PORT (RFC 5780 §7.5).</summary>
    public void WriteResponsePort(int port)
    {
        Span<byte> value = Reserve((ushort)StunAttributeType.ResponsePort, 4);
        BinaryPrimitives.WriteUInt16BigEndian(value, (ushort)port);
        BinaryPrimitives.WriteUInt16BigEndian(value[2..], 0);
        Commit(4);
    }

    /// <summary>Appends PASSWORD-ALGORITHM (RFC 8489 §14.12); neither defined algorithm has parameters.</summary>
    public void WritePasswordAlgorithm(StunPasswordAlgorithm algorithm)
    {
        Span<byte> value = Reserve((ushort)StunAttributeType.PasswordAlgorithm, 4);
        BinaryPrimitives.WriteUInt16BigEndian(value, (ushort)algorithm);
        BinaryPrimitives.WriteUInt16BigEndian(value[2..], 0);
        Commit(4);
    }

    /// <summary>Appends PASSWORD-ALGORITHMS (RFC 8489 §14.11), in order of preference.</summary>
    public void WritePasswordAlgorithms(scoped ReadOnlySpan<StunPasswordAlgorithm> algorithms)
    {
        Span<byte> value = Reserve((ushort)StunAttributeType.PasswordAlgorithms, algorithms.Length * 4);
        for (int i = 0; i < algorithms.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(value[(i * 4)..], (ushort)algorithms[i]);
            BinaryPrimitives.WriteUInt16BigEndian(value[((i * 4) + 2)..], 0);
        }

        Commit(algorithms.Length * 4);
    }

    /// <summary>Appends MESSAGE-INTEGRITY: HMAC-SHA1 with <paramref name="key"/> over the message so far (RFC 8489 §14.5).</summary>
    public void WriteMessageIntegrity(scoped ReadOnlySpan<byte> key) =>
        WriteIntegrity(StunAttributeType.MessageIntegrity, StunConstants.MessageIntegrityLength, sha256: false, key);

    /// <summary>Appends MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6), optionally truncated to 16–32 bytes in steps of 4.</summary>
    public void WriteMessageIntegritySha256(scoped ReadOnlySpan<byte> key, int length = StunConstants.MessageIntegritySha256Length)
    {
        if (length < StunConstants.MessageIntegritySha256MinLength || length > StunConstants.MessageIntegritySha256Length || (length & 3) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "MESSAGE-INTEGRITY-SHA256 is 16 to 32 bytes, a multiple of 4.");
        }

        WriteIntegrity(StunAttributeType.MessageIntegritySha256, length, sha256: true, key);
    }

    private void WriteIntegrity(StunAttributeType type, int length, bool sha256, scoped ReadOnlySpan<byte> key)
    {
        int attributeOffset = _length;
        Span<byte> mac = Reserve((ushort)type, length);
        // The HMAC is taken with the length field already counting this attribute (RFC 8489 §14.5).
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(attributeOffset + StunConstants.AttributeHeaderLength + length - StunConstants.HeaderLength));
        StunIntegrity.Compute(_buffer[..attributeOffset], sha256, key, mac);
        Commit(length);
    }

    /// <summary>Appends FINGERPRINT (RFC 8489 §14.7); it must be the last attribute.</summary>
    public void WriteFingerprint()
    {
        int attributeOffset = _length;
        Span<byte> value = Reserve((ushort)StunAttributeType.Fingerprint, StunConstants.FingerprintLength);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(attributeOffset + StunConstants.AttributeHeaderLength + StunConstants.FingerprintLength - StunConstants.HeaderLength));
        BinaryPrimitives.WriteUInt32BigEndian(value, StunIntegrity.Fingerprint(_buffer[..attributeOffset]));
        Commit(StunConstants.FingerprintLength);
    }

    // Writes the attribute header and returns the value's span; Commit pads and advances.
    private readonly Span<byte> Reserve(ushort type, int valueLength)
    {
        int padded = (valueLength + 3) & ~3;
        if (valueLength > ushort.MaxValue || _length + StunConstants.AttributeHeaderLength + padded > _buffer.Length
            || _length + StunConstants.AttributeHeaderLength + padded - StunConstants.HeaderLength > ushort.MaxValue)
        {
            throw new ArgumentException("The destination buffer is too small for this STUN message.");
        }

        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_length..], type);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[(_length + 2)..], (ushort)valueLength);
        return _buffer.Slice(_length + StunConstants.AttributeHeaderLength, valueLength);
    }

    private void Commit(int valueLength)
    {
        int start = _length + StunConstants.AttributeHeaderLength;
        int padded = (valueLength + 3) & ~3;
        _buffer.Slice(start + valueLength, padded - valueLength).Fill(_paddingByte);
        _length = start + padded;
        UpdateLengthField();
    }

    private readonly void UpdateLengthField() =>
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(_length - StunConstants.HeaderLength));
}
