using System.Net;
using PeerConnect.Stun;

namespace PeerConnect.Turn.Client;

/// <summary>
/// One TURN request the client sends (RFC 8656 §7–§12): its method and its method-specific attributes. The
/// client adds SOFTWARE first and the credentials and FINGERPRINT last, so a 401/438 retry rewrites it whole
/// with a fresh transaction id (RFC 8489 §9.2.5).
/// </summary>
internal abstract class TurnRequest(StunMethod method)
{
    public StunMethod Method { get; } = method;

    /// <summary>Upper bound of the bytes <see cref="WriteAttributes"/> adds.</summary>
    public abstract int MaxAttributesLength { get; }

    public abstract void WriteAttributes(ref StunMessageWriter writer);

    /// <summary>False when a success response lacks what the method's success must carry; it is then ignored.</summary>
    public virtual bool IsUsableSuccess(StunMessageReader response) => true;

    // Attribute header + IPv6 XOR-PEER-ADDRESS value (RFC 8489 §14.2 layout: 0x00 | family | port | address).
    protected const int PeerAddressLength = 4 + 20;
}

/// <summary>
/// Allocate (RFC 8656 §7.1): REQUESTED-TRANSPORT UDP, and LIFETIME to propose the allocation's lifetime.
/// <code>
/// REQUESTED-TRANSPORT  |    Protocol   |                    RFFU                       |
/// LIFETIME             |                         Lifetime (seconds)                    |
/// </code>
/// </summary>
internal sealed class AllocateRequest(TimeSpan lifetime) : TurnRequest(StunMethod.Allocate)
{
    public override int MaxAttributesLength => 16;

    public override void WriteAttributes(ref StunMessageWriter writer)
    {
        writer.WriteRequestedTransport(TurnTransport.Udp);
        writer.WriteUInt32(StunAttributeType.Lifetime, (uint)lifetime.TotalSeconds);
    }

    /// <summary>RFC 8656 §7.3: the success response carries XOR-RELAYED-ADDRESS and LIFETIME.</summary>
    public override bool IsUsableSuccess(StunMessageReader response) =>
        response.TryGetXorAddress(StunAttributeType.XorRelayedAddress, out _)
        && response.TryGetUInt32(StunAttributeType.Lifetime, out _);
}

/// <summary>Refresh (RFC 8656 §8.1): LIFETIME, where 0 deletes the allocation.</summary>
internal sealed class RefreshRequest(TimeSpan lifetime) : TurnRequest(StunMethod.Refresh)
{
    public TimeSpan Lifetime { get; } = lifetime;

    public override int MaxAttributesLength => 8;

    public override void WriteAttributes(ref StunMessageWriter writer) =>
        writer.WriteUInt32(StunAttributeType.Lifetime, (uint)Lifetime.TotalSeconds);
}

/// <summary>CreatePermission (RFC 8656 §10.1): one XOR-PEER-ADDRESS per peer, several allowed in one request.</summary>
internal sealed class CreatePermissionRequest(IReadOnlyList<IPEndPoint> peers) : TurnRequest(StunMethod.CreatePermission)
{
    public IReadOnlyList<IPEndPoint> Peers { get; } = peers;

    public override int MaxAttributesLength => Peers.Count * PeerAddressLength;

    public override void WriteAttributes(ref StunMessageWriter writer)
    {
        foreach (IPEndPoint peer in Peers)
        {
            writer.WriteXorAddress(StunAttributeType.XorPeerAddress, peer);
        }
    }
}

/// <summary>
/// ChannelBind (RFC 8656 §12.1): CHANNEL-NUMBER and the peer's XOR-PEER-ADDRESS.
/// <code>
/// CHANNEL-NUMBER  |        Channel Number         |         RFFU = 0              |
/// </code>
/// </summary>
internal sealed class ChannelBindRequest(ushort channel, IPEndPoint peer) : TurnRequest(StunMethod.ChannelBind)
{
    public override int MaxAttributesLength => 8 + PeerAddressLength;

    public override void WriteAttributes(ref StunMessageWriter writer)
    {
        writer.WriteChannelNumber(channel);
        writer.WriteXorAddress(StunAttributeType.XorPeerAddress, peer);
    }
}

/// <summary>Send indications (RFC 8656 §11.1), written on the hot path into a pooled buffer.</summary>
internal static class SendIndication
{
    /// <summary>Header, an IPv6 XOR-PEER-ADDRESS and the DATA attribute header with its padding.</summary>
    public const int Overhead = StunConstants.HeaderLength + 24 + 4 + 3;

    /// <summary>
    /// XOR-PEER-ADDRESS and DATA; no credentials, since indications cannot be authenticated (RFC 8656 §11.1).
    /// <code>
    /// DATA  |                      Data (variable)                     ....  padded to 4
    /// </code>
    /// </summary>
    public static int Write(Span<byte> destination, IPEndPoint peer, ReadOnlySpan<byte> data)
    {
        var writer = new StunMessageWriter(destination, new StunMessageType(StunMethod.Send, StunMessageClass.Indication), TransactionId.NewRandom());
        writer.WriteXorAddress(StunAttributeType.XorPeerAddress, peer);
        writer.WriteAttribute(StunAttributeType.Data, data);
        return writer.Length;
    }
}
