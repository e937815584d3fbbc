using System.Net;

namespace PeerConnect.Ice.Tests.VirtualNetwork;

/// <summary>
/// An in-memory internet: public hosts and NAT routers keyed by public IP. Delivery is immediate and lossless except
/// where a NAT filters; <see cref="InFlight"/> lets tests wait until every datagram has been read before moving the
/// fake clock, which keeps runs deterministic.
/// </summary>
public sealed class VirtualNet
{
    private readonly Dictionary<IPAddress, object> _public = [];
    private int _inFlight;

    internal object Gate { get; } = new();

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>When set, the public network drops everything (a cable pulled between the peers and the world).</summary>
    public bool Partitioned { get; set; }

    public VirtualHost AddPublicHost(string address)
    {
        var host = new VirtualHost(this, IPAddress.Parse(address), router: null);
        lock (Gate)
        {
            _public.Add(host.Address, host);
        }

        return host;
    }

    public VirtualRouter AddRouter(string publicAddress, NatBehavior behavior)
    {
        var router = new VirtualRouter(this, IPAddress.Parse(publicAddress), behavior);
        lock (Gate)
        {
            _public.Add(router.PublicAddress, router);
        }

        return router;
    }

    internal void Enqueued() => Interlocked.Increment(ref _inFlight);

    internal void Dequeued() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Carries a datagram across the public network. Caller holds <see cref="Gate"/>.</summary>
    internal void DeliverPublic(IPEndPoint source, IPEndPoint destination, byte[] data)
    {
        if (Partitioned)
        {
            return;
        }

        switch (_public.GetValueOrDefault(destination.Address))
        {
            case VirtualHost host:
                host.Deliver(destination.Port, source, data);
                break;
            case VirtualRouter router:
                router.Inbound(source, destination.Port, data);
                break;
        }
    }
}
