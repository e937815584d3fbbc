using System.Buffers.Binary;

namespace PeerConnect.Stun;

/// <summary>One attribute of a parsed message: its type and its value without padding.</summary>
public readonly ref struct StunAttribute
{
    internal StunAttribute(ushort type, ReadOnlySpan<byte> value)
    {
        Type = type;
        Value = value;
    }

    /// <summary>The attribute type (compare with <see cref="StunAttributeType"/>).</summary>
    public ushort Type { get; }

    /// <summary>The value, without padding.</summary>
    public ReadOnlySpan<byte> Value { get; }
}

/// <summary>
/// Walks the attributes of a message the reader has already validated, skipping those that
/// follow an integrity attribute and are not integrity or fingerprint.
/// </summary>
public ref struct StunAttributeEnumerator
{
    private readonly ReadOnlySpan<byte> _message;
    private readonly int _ignoreFrom;
    private int _next;

    internal StunAttributeEnumerator(ReadOnlySpan<byte> message, int ignoreFrom)
    {
        _message = message;
        _ignoreFrom = ignoreFrom;
        _next = StunConstants.HeaderLength;
        Current = default;
    }

    /// <summary>The attribute at the current position.</summary>
    public StunAttribute Current { get; private set; }

    /// <summary>Returns this enumerator (for <c>foreach</c>).</summary>
    public readonly StunAttributeEnumerator GetEnumerator() => this;

    /// <summary>Advances to the next counted attribute.</summary>
    public bool MoveNext()
    {
        while (_next < _message.Length)
        {
            int offset = _next;
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(_message[offset..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(_message[(offset + 2)..]);
            _next = offset + StunConstants.AttributeHeaderLength + ((length + 3) & ~3);
            if (offset > _ignoreFrom && !IsAllowedAfterIntegrity(type))
            {
                continue;
            }

            Current = new StunAttribute(type, _message.Slice(offset + StunConstants.AttributeHeaderLength, length));
            return true;
        }

        return false;
    }

    private static bool IsAllowedAfterIntegrity(ushort type) =>
        type is (ushort)StunAttributeType.MessageIntegritySha256 or (ushort)StunAttributeType.Fingerprint;
}
