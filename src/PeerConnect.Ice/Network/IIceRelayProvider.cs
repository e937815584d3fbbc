using System.Net;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Ice.Network;

/// <summary>How the relay was reached, which ranks relayed candidates among themselves (RFC 8445 §5.1.2.2 local preference).</summary>
public enum IceRelayProtocol
{
    /// <summary>TURN over UDP.</summary>
    Udp,
    /// <summary>TURN over TCP (RFC 6062 framing of RFC 8656 §3.1).</summary>
    Tcp,
    /// <summary>TURN over TLS.</summary>
    Tls,
}

/// <summary>
/// One TURN allocation seen by the agent. The transport sends to and receives from peers through the relay:
/// <see cref="IDatagramTransport.SendAsync"/> takes a peer address, <see cref="IDatagramTransport.ReceiveAsync"/>
/// reports the peer that sent, and the transport hides Send/Data indications and ChannelData.
/// </summary>
/// <param name="Transport">The relayed pipe; the agent owns its receive loop and disposes it on close.</param>
/// <param name="RelayedEndPoint">The XOR-RELAYED-ADDRESS: the relayed candidate's address.</param>
/// <param name="MappedEndPoint">The XOR-MAPPED-ADDRESS the server saw the client at (becomes <c>raddr</c>/<c>rport</c>).</param>
/// <param name="Server">The TURN server, for the foundation (RFC 8445 §5.1.1.3).</param>
/// <param name="Protocol">How the server is reached.</param>
public sealed record IceRelayAllocation(IDatagramTransport Transport, IPEndPoint RelayedEndPoint, IPEndPoint MappedEndPoint, EndPoint Server, IceRelayProtocol Protocol);

/// <summary>Makes relayed candidates: a TURN client behind the agent, or an in-memory relay in tests.</summary>
public interface IIceRelayProvider
{
    /// <summary>Allocates a relayed address; null when the server refused or did not answer.</summary>
    /// <param name="cancellationToken">Cancelled when the agent closes or restarts gathering.</param>
    ValueTask<IceRelayAllocation?> AllocateAsync(CancellationToken cancellationToken);
}
