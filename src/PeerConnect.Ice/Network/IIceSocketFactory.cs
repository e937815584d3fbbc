using System.Net;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Ice.Network;

/// <summary>Where host candidates come from: the machine's interfaces and UDP sockets on them, or a virtual network's.</summary>
public interface IIceSocketFactory
{
    /// <summary>The unicast addresses host candidates may be gathered on.</summary>
    /// <param name="includeLoopback">Whether loopback addresses are wanted.</param>
    IReadOnlyList<IPAddress> GetHostAddresses(bool includeLoopback);

    /// <summary>Opens a UDP transport on <paramref name="address"/> with an ephemeral port.</summary>
    /// <param name="address">One of the addresses from <see cref="GetHostAddresses"/>.</param>
    IDatagramTransport BindUdp(IPAddress address);
}
