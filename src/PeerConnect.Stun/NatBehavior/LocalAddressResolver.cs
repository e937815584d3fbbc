using System.Net;
using System.Net.Sockets;

namespace PeerConnect.Stun.NatBehavior;

/// <summary>Finds which local address the system would use towards a destination, for a socket bound to a wildcard.</summary>
internal static class LocalAddressResolver
{
    /// <summary>
    /// Returns <paramref name="local"/> when it names a specific address; otherwise the address the routing table
    /// picks for <paramref name="destination"/>, found by connecting a throwaway UDP socket (which sends nothing).
    /// </summary>
    public static IPEndPoint Resolve(IPEndPoint local, IPEndPoint destination)
    {
        if (!local.Address.Equals(IPAddress.Any) && !local.Address.Equals(IPAddress.IPv6Any))
        {
            return local;
        }
        using var probe = new Socket(destination.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        probe.Connect(destination);
        return new IPEndPoint(((IPEndPoint)probe.LocalEndPoint!).Address, local.Port);
    }
}
