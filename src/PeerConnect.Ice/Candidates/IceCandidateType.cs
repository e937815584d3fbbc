namespace PeerConnect.Ice.Candidates;

/// <summary>The kind of a candidate (RFC 8445 §5.1.1, RFC 8839 §5.1 <c>cand-type</c>).</summary>
public enum IceCandidateType
{
    /// <summary><c>host</c>: an address of a local interface.</summary>
    Host,
    /// <summary><c>srflx</c>: the address a NAT mapped a host address to, learned from a STUN server.</summary>
    ServerReflexive,
    /// <summary><c>prflx</c>: an address learned from a connectivity check.</summary>
    PeerReflexive,
    /// <summary><c>relay</c>: an address allocated on a TURN server.</summary>
    Relayed,
}

/// <summary>The transport of a candidate (RFC 8839 §5.1 <c>transport</c>).</summary>
public enum IceProtocol
{
    /// <summary>UDP.</summary>
    Udp,
    /// <summary>TCP (RFC 6544).</summary>
    Tcp,
}

/// <summary>The role of a TCP candidate (RFC 6544 §4.5 <c>tcptype</c>).</summary>
public enum IceTcpType
{
    /// <summary>Opens connections, does not accept them.</summary>
    Active,
    /// <summary>Accepts connections, does not open them.</summary>
    Passive,
    /// <summary>Simultaneous open.</summary>
    SimultaneousOpen,
}
