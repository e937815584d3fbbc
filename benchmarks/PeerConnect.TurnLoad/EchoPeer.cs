using System.Net;
using System.Net.Sockets;

namespace PeerConnect.TurnLoad;

/// <summary>
/// The peer behind the relay: a UDP socket on loopback that sends every datagram back to its sender, on a dedicated
/// thread with allocation-free socket calls so it costs the same whichever server is measured.
/// </summary>
internal sealed class EchoPeer : IDisposable
{
    private readonly Socket _socket;
    private readonly Thread _thread;
    private long _echoed;

    public EchoPeer(IPAddress address)
    {
        _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = 8 << 20,
            SendBufferSize = 8 << 20,
        };
        _socket.Bind(new IPEndPoint(address, 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _thread = new Thread(Run) { IsBackground = true, Name = "echo-peer" };
        _thread.Start();
    }

    public IPEndPoint EndPoint { get; }

    public long Echoed => Interlocked.Read(ref _echoed);

    public void Dispose() => _socket.Dispose();

    private void Run()
    {
        var buffer = new byte[65536];
        var from = new SocketAddress(_socket.AddressFamily);
        try
        {
            while (true)
            {
                int received = _socket.ReceiveFrom(buffer, SocketFlags.None, from);
                _socket.SendTo(buffer.AsSpan(0, received), SocketFlags.None, from);
                Interlocked.Increment(ref _echoed);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            // Disposed at the end of the run.
        }
    }
}
