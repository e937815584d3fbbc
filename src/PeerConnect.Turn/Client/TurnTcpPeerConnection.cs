using System.Net;

namespace PeerConnect.Turn.Client;

/// <summary>
/// A bound TCP data connection through a TURN server (RFC 6062 §4.3, §4.4): the bytes written to <see cref="Stream"/>
/// reach <see cref="Peer"/> as they are, and the peer's bytes come back on it. Disposing the stream closes the
/// server's connection to the peer too.
/// </summary>
/// <param name="Peer">The peer's address, as the server sees it.</param>
/// <param name="ConnectionId">The server's CONNECTION-ID for it.</param>
/// <param name="Stream">The client data connection, no longer STUN-framed.</param>
public sealed record TurnTcpPeerConnection(IPEndPoint Peer, uint ConnectionId, Stream Stream);
