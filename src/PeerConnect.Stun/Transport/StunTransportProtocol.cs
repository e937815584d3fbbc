namespace PeerConnect.Stun.Transport;

/// <summary>The transports STUN runs over (RFC 8489 §6.2).</summary>
public enum StunTransportProtocol
{
    /// <summary>UDP: one message per datagram, reliability by retransmission.</summary>
    Udp,

    /// <summary>TCP: messages framed by their own length field.</summary>
    Tcp,

    /// <summary>TLS over TCP (RFC 8489 §6.2.3), framed like TCP.</summary>
    Tls,
}
