namespace PeerConnect.Server.Stun;

/// <summary>
/// The STUN/TURN listener as configured under <c>PeerConnect:Turn</c> (appsettings.json, <c>PeerConnect__Turn__*</c>
/// environment variables, <c>--PeerConnect:Turn:*=</c> arguments). Every key is documented in docs/configuration.md.
/// </summary>
internal sealed class TurnListenerOptions
{
    public const string SectionName = "PeerConnect:Turn";

    /// <summary>Whether the listener runs at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>IP addresses to listen on; unset means every IPv4 and IPv6 address.</summary>
    /// <remarks>An array, not a list with defaults: the configuration binder appends to a pre-filled list.</remarks>
    public string[]? ListenAddresses { get; set; }

    /// <summary>UDP and TCP port.</summary>
    public int Port { get; set; } = 3478;

    /// <summary>TLS port, used only with a certificate.</summary>
    public int TlsPort { get; set; } = 5349;

    /// <summary>PKCS#12 (.pfx/.p12) file with the TLS certificate and its private key; TLS is off without it.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of <see cref="CertificatePath"/>.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// Without <see cref="CertificatePath"/>, generate a self-signed certificate at start so TLS (<c>turns:</c>) runs
    /// on <see cref="TlsPort"/> for local development. Opt-in: a production server should never quietly present an
    /// untrusted certificate.
    /// </summary>
    public bool GenerateDevelopmentCertificate { get; set; }

    /// <summary>Second IP address for RFC 5780 NAT behaviour discovery; the alternate port is Port+1.</summary>
    public string? AlternateAddress { get; set; }

    /// <summary>UDP receive loops per endpoint; unset means one per core.</summary>
    public int? ReceiveLoops { get; set; }

    /// <summary>SOFTWARE attribute in responses; empty leaves it out.</summary>
    public string? Software { get; set; } = "PeerConnect";

    /// <summary>Whether to answer over UDP.</summary>
    public bool EnableUdp { get; set; } = true;

    /// <summary>Whether to answer over TCP.</summary>
    public bool EnableTcp { get; set; } = true;

    /// <summary>Open TCP/TLS connections allowed at once.</summary>
    public int MaxStreamConnections { get; set; } = 10_000;

    /// <summary>TURN REALM.</summary>
    public string Realm { get; set; } = "peerconnect";

    /// <summary>Static TURN users: user name → password. TURN is on when this or <see cref="AuthSecret"/> is set.</summary>
    public Dictionary<string, string> Users { get; set; } = [];

    /// <summary>TURN REST API shared secret.</summary>
    public string? AuthSecret { get; set; }

    /// <summary>The REST secret being rotated out, still accepted.</summary>
    public string? PreviousAuthSecret { get; set; }

    /// <summary>Allow relaying to loopback peers (local testing only).</summary>
    public bool AllowLoopbackPeers { get; set; }

    /// <summary>CIDR ranges peers may be in although the defaults deny them.</summary>
    public string[]? AllowedPeerRanges { get; set; }

    /// <summary>CIDR ranges peers may never be in.</summary>
    public string[]? DeniedPeerRanges { get; set; }

    /// <summary>Relay ports as <c>min-max</c>.</summary>
    public string RelayPortRange { get; set; } = "49152-65535";

    /// <summary>IPv4 address relay sockets bind to; unset: the first specific IPv4 listen address, else 0.0.0.0.</summary>
    public string? RelayAddress { get; set; }

    /// <summary>IPv6 address relay sockets bind to; unset: no IPv6 relaying.</summary>
    public string? RelayAddressV6 { get; set; }

    /// <summary>Address advertised in XOR-RELAYED-ADDRESS behind a 1:1 NAT.</summary>
    public string? ExternalAddress { get; set; }

    /// <summary>Allocations per user.</summary>
    public int MaxAllocationsPerUser { get; set; } = 10;

    /// <summary>Allocations in total.</summary>
    public int MaxAllocations { get; set; } = 10_000;

    /// <summary>Allocation lifetime when the client asks for none.</summary>
    public TimeSpan DefaultAllocationLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest allocation lifetime granted.</summary>
    public TimeSpan MaxAllocationLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Per-allocation relay bandwidth per direction (UDP: excess dropped; TCP relaying: held back); 0 is unlimited.</summary>
    public long BandwidthLimitBytesPerSecond { get; set; }

    /// <summary>Kernel buffer of each UDP listener socket in bytes; 0 keeps the system default; unset means 4 MiB.</summary>
    public int? UdpSocketBufferBytes { get; set; }

    /// <summary>Kernel buffer of each relay socket in bytes; 0 keeps the system default; unset means 512 KiB.</summary>
    public int? RelaySocketBufferBytes { get; set; }

    /// <summary>Threads reading the UDP relay sockets of all allocations (Linux); 0 is one asynchronous loop per socket; unset means one per core.</summary>
    public int? RelayReceiveThreads { get; set; }

    /// <summary>How long a NONCE stays valid.</summary>
    public TimeSpan NonceLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Accept RFC 5766 channel numbers 0x5000–0x7FFF.</summary>
    public bool AllowRfc5766ChannelNumbers { get; set; }

    /// <summary>Largest unauthenticated UDP response as a multiple of the request size.</summary>
    public double UnauthenticatedAmplificationLimit { get; set; } = PeerConnect.Turn.Server.TurnServerOptions.DefaultUnauthenticatedAmplificationLimit;

    /// <summary>Grant TCP allocations (RFC 6062); false answers them 442 like a UDP-only server.</summary>
    public bool AllowTcpRelay { get; set; } = true;

    /// <summary>Peer data connections one TCP allocation may hold.</summary>
    public int MaxTcpConnectionsPerAllocation { get; set; } = 32;

    /// <summary>How long a TCP-relay Connect waits for the peer before answering 447.</summary>
    public TimeSpan TcpConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>True when TURN credentials are configured, which turns TURN on.</summary>
    public bool TurnEnabled => Users.Count > 0 || !string.IsNullOrEmpty(AuthSecret);
}
