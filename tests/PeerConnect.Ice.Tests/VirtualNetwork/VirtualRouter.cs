using System.Net;

namespace PeerConnect.Ice.Tests.VirtualNetwork;

/// <summary>
/// A NAT between a private network and <see cref="VirtualNet"/>, with RFC 4787 mapping and filtering behaviours.
/// Hairpinning is not modelled: peers in these tests sit behind different NATs.
/// </summary>
public sealed class VirtualRouter
{
    private readonly VirtualNet _net;
    private readonly Dictionary<IPAddress, VirtualHost> _lan = [];
    private readonly Dictionary<(IPEndPoint Internal, string Key), Mapping> _mappings = [];
    private readonly Dictionary<int, Mapping> _byPublicPort = [];
    private int _nextPort = 40000;

    internal VirtualRouter(VirtualNet net, IPAddress publicAddress, NatBehavior behavior)
    {
        _net = net;
        PublicAddress = publicAddress;
        Behavior = behavior;
    }

    public IPAddress PublicAddress { get; }

    public NatBehavior Behavior { get; }

    /// <summary>Datagrams the filter dropped, for tests that explain an outcome.</summary>
    public int Filtered { get; private set; }

    public VirtualHost AddHost(string privateAddress)
    {
        var host = new VirtualHost(_net, IPAddress.Parse(privateAddress), this);
        lock (_net.Gate)
        {
            _lan.Add(host.Address, host);
        }

        return host;
    }

    /// <summary>From the LAN. Caller holds the network gate.</summary>
    internal void Outbound(IPEndPoint source, IPEndPoint destination, byte[] data)
    {
        if (_lan.TryGetValue(destination.Address, out var neighbour))
        {
            neighbour.Deliver(destination.Port, source, data);
            return;
        }

        string key = Behavior.Mapping switch
        {
            NatMapping.EndpointIndependent => "",
            NatMapping.AddressDependent => destination.Address.ToString(),
            _ => destination.ToString(),
        };
        if (!_mappings.TryGetValue((source, key), out var mapping))
        {
            // Endpoint-independent NATs preserve the port when they can, like Linux MASQUERADE.
            int port = Behavior.Mapping == NatMapping.EndpointIndependent && !_byPublicPort.ContainsKey(source.Port) ? source.Port : _nextPort++;
            mapping = new Mapping(source, port);
            _mappings.Add((source, key), mapping);
            _byPublicPort.Add(port, mapping);
        }

        mapping.SentTo.Add(destination);
        _net.DeliverPublic(new IPEndPoint(PublicAddress, mapping.PublicPort), destination, data);
    }

    /// <summary>From the public side. Caller holds the network gate.</summary>
    internal void Inbound(IPEndPoint source, int publicPort, byte[] data)
    {
        if (!_byPublicPort.TryGetValue(publicPort, out var mapping))
        {
            Filtered++;
            return;
        }

        bool allowed = Behavior.Filtering switch
        {
            NatFiltering.EndpointIndependent => true,
            NatFiltering.AddressDependent => mapping.SentTo.Any(d => d.Address.Equals(source.Address)),
            _ => mapping.SentTo.Contains(source),
        };
        if (!allowed)
        {
            Filtered++;
            return;
        }

        _lan[mapping.Internal.Address].Deliver(mapping.Internal.Port, source, data);
    }

    private sealed class Mapping(IPEndPoint @internal, int publicPort)
    {
        public IPEndPoint Internal { get; } = @internal;

        public int PublicPort { get; } = publicPort;

        public HashSet<IPEndPoint> SentTo { get; } = [];
    }
}
