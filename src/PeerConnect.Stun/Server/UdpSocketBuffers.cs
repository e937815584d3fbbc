using System.Net.Sockets;

namespace PeerConnect.Stun.Server;

/// <summary>
/// Sizes a UDP socket's kernel buffers. A receive buffer is what carries a burst across a moment the reading thread
/// is not scheduled; the system default (about 208 KiB on Linux, roughly 200 small datagrams) overflows after a
/// quarter of a second at 800 datagrams/s. As root, Linux's SO_RCVBUFFORCE/SO_SNDBUFFORCE set the size past
/// <c>net.core.rmem_max</c>/<c>wmem_max</c>; otherwise the kernel caps the request at those limits.
/// </summary>
public static class UdpSocketBuffers
{
    // <asm-generic/socket.h>; .NET has no named options for the FORCE variants.
    private const int SolSocket = 1;
    private const int SoSndBufForce = 32;
    private const int SoRcvBufForce = 33;

    /// <summary>Sets both buffers to <paramref name="bytes"/> (the kernel doubles it for bookkeeping); 0 leaves the system default.</summary>
    /// <param name="socket">A UDP socket.</param>
    /// <param name="bytes">Requested size of each buffer.</param>
    public static void Apply(Socket socket, int bytes)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (bytes <= 0)
        {
            return;
        }
        if (!OperatingSystem.IsLinux() || !TryForce(socket, bytes))
        {
            socket.ReceiveBufferSize = bytes;
            socket.SendBufferSize = bytes;
        }
    }

    private static bool TryForce(Socket socket, int bytes)
    {
        try
        {
            socket.SetRawSocketOption(SolSocket, SoRcvBufForce, BitConverter.GetBytes(bytes));
            socket.SetRawSocketOption(SolSocket, SoSndBufForce, BitConverter.GetBytes(bytes));
            return true;
        }
        catch (SocketException)
        {
            // EPERM without CAP_NET_ADMIN: the plain options, capped by the sysctl limits.
            return false;
        }
    }
}
