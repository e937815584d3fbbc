using System.Net;
using System.Net.Sockets;

namespace PeerConnect.Stun.Server;

/// <summary>
/// The UDP sockets bound to one local endpoint: on Linux one SO_REUSEPORT socket per receive loop, so the kernel
/// spreads clients across loops (and cores); elsewhere one socket that all loops read.
/// </summary>
internal sealed class UdpSocketGroup : IDisposable
{
    // <sys/socket.h> on Linux; .NET has no named option for SO_REUSEPORT.
    private const int SolSocket = 1;
    private const int SoReusePort = 15;

    private UdpSocketGroup(Socket[] sockets, IPEndPoint localEndPoint)
    {
        Sockets = sockets;
        LocalEndPoint = localEndPoint;
    }

    public Socket[] Sockets { get; }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Sends for responses that must leave from this endpoint (RFC 5780 CHANGE-REQUEST).</summary>
    public Socket SendSocket => Sockets[0];

    public ListenerView View { get; set; } = ListenerView.Plain(Transport.StunTransportProtocol.Udp);

    /// <summary>How many loops read each socket of a group that should be served by <paramref name="receiveLoops"/> loops.</summary>
    public static int LoopsPerSocket(int receiveLoops) => OperatingSystem.IsLinux() ? 1 : receiveLoops;

    /// <summary>Binds the group; with port 0 the first socket picks the port and the others join it.</summary>
    /// <exception cref="SocketException">The endpoint is taken or not local.</exception>
    public static UdpSocketGroup Bind(IPEndPoint endPoint, int receiveLoops, int bufferBytes)
    {
        bool reusePort = OperatingSystem.IsLinux() && receiveLoops > 1;
        int count = OperatingSystem.IsLinux() ? receiveLoops : 1;
        var sockets = new List<Socket>(count);
        try
        {
            var first = BindOne(endPoint, reusePort, bufferBytes);
            sockets.Add(first);
            var bound = (IPEndPoint)first.LocalEndPoint!;
            for (int i = 1; i < count; i++)
            {
                sockets.Add(BindOne(bound, reusePort, bufferBytes));
            }
            return new UdpSocketGroup([.. sockets], bound);
        }
        catch
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var socket in Sockets)
        {
            socket.Dispose();
        }
    }

    private static Socket BindOne(IPEndPoint endPoint, bool reusePort, int bufferBytes)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // A dual-mode socket would report IPv4 clients as ::ffff:a.b.c.d in XOR-MAPPED-ADDRESS.
                socket.DualMode = false;
            }
            if (reusePort)
            {
                socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            }
            UdpSocketBuffers.Apply(socket, bufferBytes);
            socket.Bind(endPoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
