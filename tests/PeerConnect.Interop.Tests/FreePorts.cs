using System.Net;
using System.Net.Sockets;

namespace PeerConnect.Interop.Tests;

/// <summary>Finds loopback ports free on both UDP and TCP, so a server under test can take them.</summary>
internal static class FreePorts
{
    /// <summary>A port <c>p</c> such that <c>p .. p + count - 1</c> are all free for UDP and TCP on every given address.</summary>
    public static int FindConsecutive(int count, params IPAddress[] addresses)
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            int start = Random.Shared.Next(20_000, 60_000);
            if (Enumerable.Range(start, count).All(port => addresses.All(address => IsFree(address, port))))
            {
                return start;
            }
        }

        throw new InvalidOperationException("No free loopback port range found.");
    }

    private static bool IsFree(IPAddress address, int port)
    {
        try
        {
            using var udp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(address, port));
            using var tcp = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
