using System.Buffers.Binary;
using System.Net;

namespace PeerConnect.Turn.Client;

/// <summary>
/// What the client knows about one peer: whether the server holds a permission for it (RFC 8656 §9) and which
/// channel is bound to it (RFC 8656 §12). The serial owner writes; the send and receive paths only read.
/// </summary>
internal sealed class TurnPeer
{
    private volatile bool _hasPermission;
    private int _boundChannel;
    private int _channelWanted;

    public TurnPeer(IPEndPoint endPoint)
    {
        EndPoint = endPoint;
        Key = PeerKey.From(endPoint);
    }

    public IPEndPoint EndPoint { get; }

    public PeerKey Key { get; }

    /// <summary>True once the server confirmed a permission; read on the send path.</summary>
    public bool HasPermission => _hasPermission;

    /// <summary>The confirmed channel, or 0 while sends must use Send indications.</summary>
    public ushort BoundChannel => (ushort)Volatile.Read(ref _boundChannel);

    /// <summary>The number chosen for this peer, confirmed or not; the owner's own bookkeeping.</summary>
    public ushort AssignedChannel { get; set; }

    /// <summary>Owner-only: re-sends CreatePermission before the 300 s permission lifetime runs out.</summary>
    public ITimer? PermissionTimer { get; set; }

    /// <summary>Owner-only: re-sends ChannelBind before the 600 s channel lifetime runs out.</summary>
    public ITimer? ChannelTimer { get; set; }

    public void MarkPermitted() => _hasPermission = true;

    public void MarkBound(ushort channel) => Volatile.Write(ref _boundChannel, channel);

    /// <summary>True for the first caller only: the send path asks the owner for a channel once per peer.</summary>
    public bool TryClaimChannelRequest() => Interlocked.Exchange(ref _channelWanted, 1) == 0;

    public void DisposeTimers()
    {
        PermissionTimer?.Dispose();
        ChannelTimer?.Dispose();
    }
}

/// <summary>An IP address and port as plain values, so a peer can be found from wire bytes without allocating.</summary>
internal readonly record struct PeerKey(ulong High, ulong Low, int Port)
{
    public static PeerKey From(IPEndPoint endPoint)
    {
        Span<byte> address = stackalloc byte[16];
        endPoint.Address.TryWriteBytes(address, out int written);
        return From(address[..written], endPoint.Port);
    }

    /// <summary>IPv4 addresses land in the IPv4-mapped IPv6 range, so both families share one key space without clashing.</summary>
    public static PeerKey From(ReadOnlySpan<byte> address, int port)
    {
        if (address.Length == 4)
        {
            return new PeerKey(0, 0x0000_FFFF_0000_0000UL | BinaryPrimitives.ReadUInt32BigEndian(address), port);
        }

        return new PeerKey(BinaryPrimitives.ReadUInt64BigEndian(address), BinaryPrimitives.ReadUInt64BigEndian(address[8..]), port);
    }
}
