using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Ice.Network;

/// <summary>Host candidates on this machine's interfaces, over <see cref="UdpDatagramTransport"/>.</summary>
public sealed class SystemIceSocketFactory : IIceSocketFactory
{
    /// <summary>The shared instance.</summary>
    public static SystemIceSocketFactory Instance { get; } = new();

    /// <inheritdoc />
    /// <remarks>
    /// Link-local addresses are skipped: IPv4 169.254/16 and IPv6 fe80::/10 need scope handling that
    /// peers across a NAT can never reach (RFC 8445 §5.1.1.1 lets agents leave them out).
    /// </remarks>
    public IReadOnlyList<IPAddress> GetHostAddresses(bool includeLoopback)
    {
        var result = new List<IPAddress>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != OperationalStatus.Up && nic.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            {
                continue;
            }

            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
            {
                var ip = unicast.Address;
                bool loopback = IPAddress.IsLoopback(ip);
                if ((loopback && !includeLoopback) || ip.IsIPv6LinkLocal || IsIPv4LinkLocal(ip)
                    || ip.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
                {
                    continue;
                }

                result.Add(ip);
            }
        }

        return result;
    }

    /// <inheritdoc />
    public IDatagramTransport BindUdp(IPAddress address) => UdpDatagramTransport.Bind(new IPEndPoint(address, 0));

    private static bool IsIPv4LinkLocal(IPAddress ip)
    {
        if (ip.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        Span<byte> b = stackalloc byte[4];
        ip.TryWriteBytes(b, out _);
        return b[0] == 169 && b[1] == 254;
    }
}
