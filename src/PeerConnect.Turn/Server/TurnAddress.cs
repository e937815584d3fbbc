using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace PeerConnect.Turn.Server;

/// <summary>
/// An IP address and port held in two machine words and a port, so the relay path can hash, compare and store peer
/// and client addresses without <see cref="IPEndPoint"/> objects. IPv4 is kept in its IPv4-mapped IPv6 form
/// (RFC 4291 §2.5.5.2) with <see cref="IsIPv4"/> set, so the two families never compare equal.
/// </summary>
public readonly struct TurnAddress : IEquatable<TurnAddress>
{
    private const ulong MappedPrefixLow = 0x0000_FFFF_0000_0000UL;

    private readonly ulong _high;
    private readonly ulong _low;

    private TurnAddress(ulong high, ulong low, ushort port, bool isIPv4)
    {
        _high = high;
        _low = low;
        Port = port;
        IsIPv4 = isIPv4;
    }

    /// <summary>The port.</summary>
    public ushort Port { get; }

    /// <summary>True for an IPv4 address.</summary>
    public bool IsIPv4 { get; }

    /// <summary>The address family.</summary>
    public AddressFamily Family => IsIPv4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;

    /// <summary>Length of the raw address: 4 or 16 bytes.</summary>
    public int AddressLength => IsIPv4 ? 4 : 16;

    /// <summary>Builds an address from 4 or 16 raw bytes.</summary>
    /// <exception cref="ArgumentException">The address is neither 4 nor 16 bytes.</exception>
    public static TurnAddress FromBytes(ReadOnlySpan<byte> address, int port)
    {
        if (address.Length == 4)
        {
            return new TurnAddress(0, MappedPrefixLow | BinaryPrimitives.ReadUInt32BigEndian(address), (ushort)port, isIPv4: true);
        }
        if (address.Length == 16)
        {
            return new TurnAddress(BinaryPrimitives.ReadUInt64BigEndian(address), BinaryPrimitives.ReadUInt64BigEndian(address[8..]), (ushort)port, isIPv4: false);
        }
        throw new ArgumentException("An address is 4 or 16 bytes.", nameof(address));
    }

    /// <summary>Builds an address from an endpoint.</summary>
    public static TurnAddress FromEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        Span<byte> bytes = stackalloc byte[16];
        endPoint.Address.TryWriteBytes(bytes, out int written);
        return FromBytes(bytes[..written], endPoint.Port);
    }

    /// <summary>The same address with port 0: the key of a permission, which ignores ports (RFC 8656 §9).</summary>
    public TurnAddress WithoutPort() => new(_high, _low, 0, IsIPv4);

    /// <summary>Writes the 4 or 16 address bytes.</summary>
    /// <returns>The number of bytes written.</returns>
    public int WriteAddress(Span<byte> destination)
    {
        if (IsIPv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_low);
            return 4;
        }
        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
        return 16;
    }

    /// <summary>The address as an <see cref="IPEndPoint"/> (allocates; for logs, policy and socket setup).</summary>
    public IPEndPoint ToEndPoint()
    {
        Span<byte> bytes = stackalloc byte[16];
        int length = WriteAddress(bytes);
        return new IPEndPoint(new IPAddress(bytes[..length]), Port);
    }

    /// <inheritdoc />
    public bool Equals(TurnAddress other) =>
        _high == other._high && _low == other._low && Port == other.Port && IsIPv4 == other.IsIPv4;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is TurnAddress other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_high, _low, Port);

    /// <summary>The address as <c>ip:port</c>.</summary>
    public override string ToString() => ToEndPoint().ToString();

    /// <summary>Equality.</summary>
    public static bool operator ==(TurnAddress left, TurnAddress right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(TurnAddress left, TurnAddress right) => !left.Equals(right);
}
