namespace PeerConnect.Turn.Server;

/// <summary>How a client reaches the server (RFC 8656 §3.1 "client-to-server transport").</summary>
public enum TurnClientTransport
{
    /// <summary>UDP.</summary>
    Udp,

    /// <summary>TCP.</summary>
    Tcp,

    /// <summary>TLS over TCP.</summary>
    Tls,
}

/// <summary>
/// The 5-tuple that names an allocation (RFC 8656 §2 "5-tuple"): client address and port, the server socket or
/// connection it arrived on (which stands for the server address and port), and the transport.
/// </summary>
/// <param name="Client">The client's address and port as the server sees them.</param>
/// <param name="ListenerId">Identifies the server socket (UDP) or connection (TCP/TLS).</param>
/// <param name="Transport">The client-to-server transport.</param>
public readonly record struct TurnFiveTuple(TurnAddress Client, long ListenerId, TurnClientTransport Transport)
{
    /// <summary>True for TCP and TLS, where ChannelData is padded to 4 bytes (RFC 8656 §12.5).</summary>
    public bool IsStream => Transport != TurnClientTransport.Udp;
}
