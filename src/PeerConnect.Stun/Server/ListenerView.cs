using System.Net;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Stun.Server;

/// <summary>
/// What a response needs to know about the socket a request arrived on: the transport and, for RFC 5780, the
/// address every CHANGE-REQUEST combination answers from. Built once per socket group, so nothing per packet.
/// </summary>
internal sealed class ListenerView
{
    private readonly IPEndPoint?[] _origins;

    private ListenerView(StunTransportProtocol transport, IPEndPoint?[] origins, IPEndPoint? otherAddress)
    {
        Transport = transport;
        _origins = origins;
        OtherAddress = otherAddress;
    }

    public StunTransportProtocol Transport { get; }

    /// <summary>OTHER-ADDRESS (RFC 5780 §7.4): where "change IP and port" answers from; null without an alternate.</summary>
    public IPEndPoint? OtherAddress { get; }

    public bool SupportsChangeRequest => OtherAddress is not null;

    /// <summary>A listener without RFC 5780: no RESPONSE-ORIGIN (a wildcard socket does not know it), no OTHER-ADDRESS.</summary>
    public static ListenerView Plain(StunTransportProtocol transport) => new(transport, new IPEndPoint?[4], null);

    /// <summary>
    /// One of the four RFC 5780 sockets: <paramref name="quartet"/> is indexed [ip * 2 + port] (0 = primary,
    /// 1 = alternate) and this view belongs to the socket at <paramref name="ipIndex"/>, <paramref name="portIndex"/>.
    /// </summary>
    public static ListenerView ForRfc5780(IReadOnlyList<IPEndPoint> quartet, int ipIndex, int portIndex)
    {
        var origins = new IPEndPoint?[4];
        for (int changeIp = 0; changeIp < 2; changeIp++)
        {
            for (int changePort = 0; changePort < 2; changePort++)
            {
                origins[(changeIp * 2) + changePort] = quartet[((ipIndex ^ changeIp) * 2) + (portIndex ^ changePort)];
            }
        }
        return new ListenerView(StunTransportProtocol.Udp, origins, origins[3]);
    }

    /// <summary>RESPONSE-ORIGIN (RFC 5780 §7.3) for a response sent with the given changes; null without an alternate.</summary>
    public IPEndPoint? OriginFor(bool changeIp, bool changePort) => _origins[((changeIp ? 1 : 0) * 2) + (changePort ? 1 : 0)];
}
