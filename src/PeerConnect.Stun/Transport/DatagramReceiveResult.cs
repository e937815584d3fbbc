using System.Net;

namespace PeerConnect.Stun.Transport;

/// <summary>One received datagram: how many bytes landed in the caller's buffer and who sent them.</summary>
/// <param name="Count">Bytes written into the receive buffer.</param>
/// <param name="RemoteEndPoint">The sender's address and port.</param>
public readonly record struct DatagramReceiveResult(int Count, IPEndPoint RemoteEndPoint);
