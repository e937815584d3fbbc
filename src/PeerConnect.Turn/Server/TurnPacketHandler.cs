using System.Net;
using PeerConnect.Stun.Server;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Turn.Server;

/// <summary>
/// Plugs a <see cref="TurnServer"/> into the shared STUN/TURN listener (<see cref="StunServer"/>): Binding stays with
/// the STUN server, everything else on the port comes here, so TURN runs on 3478 (UDP, TCP) and 5349 (TLS).
/// </summary>
public sealed class TurnPacketHandler : IStunPacketHandler
{
    private readonly TurnServer _server;

    /// <summary>Routes the listener's packets to <paramref name="server"/>.</summary>
    public TurnPacketHandler(TurnServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        _server = server;
    }

    /// <inheritdoc />
    public int HandlePacket(StunClientLink link, ReadOnlySpan<byte> remoteAddress, int remotePort, ReadOnlySpan<byte> packet, Span<byte> response)
    {
        ArgumentNullException.ThrowIfNull(link);
        var turnLink = link.HandlerState as LinkAdapter;
        if (turnLink is null)
        {
            turnLink = new LinkAdapter(link);
            link.HandlerState = turnLink;
        }
        return _server.Process(turnLink, TurnAddress.FromBytes(remoteAddress, remotePort), packet, response);
    }

    /// <inheritdoc />
    public void LinkClosed(StunClientLink link)
    {
        ArgumentNullException.ThrowIfNull(link);
        if (link.HandlerState is LinkAdapter turnLink)
        {
            _server.ConnectionClosed(turnLink);
        }
    }

    /// <summary>The TURN core's view of a listener link; made once per socket or connection.</summary>
    private sealed class LinkAdapter(StunClientLink link) : ITurnClientLink
    {
        public long Id => link.Id;

        public TurnClientTransport Transport => link.Transport switch
        {
            StunTransportProtocol.Tcp => TurnClientTransport.Tcp,
            StunTransportProtocol.Tls => TurnClientTransport.Tls,
            _ => TurnClientTransport.Udp,
        };

        public ITurnClientSender CreateSender(TurnAddress client)
        {
            var endPoint = client.ToEndPoint();
            // The listener's UDP sockets are single-family, so an IPv4 client stays a plain IPv4 socket address.
            return new Sender(link, endPoint.Serialize());
        }

        public bool HandOff(Func<Stream, CancellationToken, Task> takeOver) => link.HandOff(takeOver);

        public void HoldsAllocation() => link.ExemptFromIdleTimeout = true;

        public void AllocationEnded() => link.ExemptFromIdleTimeout = false;
    }

    /// <summary>Sends to one client through its link, with the socket address built once per allocation.</summary>
    private sealed class Sender(StunClientLink link, SocketAddress client) : ITurnClientSender
    {
        public bool Send(ReadOnlySpan<byte> message) => link.Send(message, client);
    }
}
