using System.Buffers.Binary;
using System.Security.Cryptography;

namespace PeerConnect.Stun;

/// <summary>The 96-bit transaction id of a STUN message (RFC 8489 §5), held without allocation.</summary>
public readonly struct TransactionId : IEquatable<TransactionId>
{
    /// <summary>Length of a transaction id in bytes.</summary>
    public const int Length = 12;

    private readonly ulong _high;
    private readonly uint _low;

    private TransactionId(ulong high, uint low)
    {
        _high = high;
        _low = low;
    }

    /// <summary>A new id from a cryptographically strong random source (RFC 8489 §6: "uniformly and randomly chosen").</summary>
    public static TransactionId NewRandom()
    {
        Span<byte> bytes = stackalloc byte[Length];
        RandomNumberGenerator.Fill(bytes);
        return Read(bytes);
    }

    /// <summary>Reads an id from its 12 wire bytes.</summary>
    /// <exception cref="ArgumentException">Fewer than 12 bytes.</exception>
    public static TransactionId Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Length)
        {
            throw new ArgumentException("A transaction id is 12 bytes.", nameof(bytes));
        }

        return new TransactionId(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt32BigEndian(bytes[8..]));
    }

    /// <summary>Writes the 12 wire bytes.</summary>
    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], _low);
    }

    /// <inheritdoc />
    public bool Equals(TransactionId other) => _high == other._high && _low == other._low;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is TransactionId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_high, _low);

    /// <summary>The id in lower-case hexadecimal.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(TransactionId left, TransactionId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(TransactionId left, TransactionId right) => !left.Equals(right);
}
