using System.Net;
using System.Net.Sockets;

namespace PeerConnect.Turn.Server;

/// <summary>How a <see cref="TurnServer"/> authenticates, relays and limits (RFC 8656).</summary>
public sealed record TurnServerOptions
{
    /// <summary>Default allocation lifetime (RFC 8656 §3.2: 10 minutes).</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(10);

    /// <summary>Permission lifetime, fixed by RFC 8656 §9: 300 s.</summary>
    public static readonly TimeSpan PermissionLifetime = TimeSpan.FromSeconds(300);

    /// <summary>Channel binding lifetime, fixed by RFC 8656 §12: 600 s.</summary>
    public static readonly TimeSpan ChannelLifetime = TimeSpan.FromSeconds(600);

    /// <summary>REALM of long-term credentials (RFC 8489 §9.2). Default <c>peerconnect</c>.</summary>
    public string Realm { get; init; } = "peerconnect";

    /// <summary>Static users: user name → password.</summary>
    public IReadOnlyDictionary<string, string> Users { get; init; } = new Dictionary<string, string>();

    /// <summary>TURN REST API shared secret; user names are <c>expiry:user</c>, passwords base64(HMAC-SHA1(secret, user name)).</summary>
    public string? AuthSecret { get; init; }

    /// <summary>The secret being rotated out: still accepted so credentials issued just before a rotation keep working.</summary>
    public string? PreviousAuthSecret { get; init; }

    /// <summary>How long a NONCE stays valid before a request gets 438 Stale Nonce (RFC 8489 §9.2). Default 1 hour.</summary>
    public TimeSpan NonceLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Offer SHA-256 key derivation through PASSWORD-ALGORITHMS (RFC 8489 §9.2.1). Default true.</summary>
    public bool OfferSha256 { get; init; } = true;

    /// <summary>Lifetime given when the client asks for none (RFC 8656 §7.2). Default 600 s.</summary>
    public TimeSpan DefaultAllocationLifetime { get; init; } = DefaultLifetime;

    /// <summary>The longest lifetime granted (RFC 8656 §7.2 "a server-defined maximum"). Default 3600 s.</summary>
    public TimeSpan MaxAllocationLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Address relay sockets are bound to. Default 0.0.0.0 (IPv4 wildcard).</summary>
    public IPAddress RelayAddress { get; init; } = IPAddress.Any;

    /// <summary>Address relay sockets are bound to for IPv6 allocations; null disables IPv6 relaying. Default null.</summary>
    public IPAddress? RelayAddressV6 { get; init; }

    /// <summary>
    /// Address advertised in XOR-RELAYED-ADDRESS instead of the bound one, for servers behind a 1:1 NAT (cloud VMs).
    /// Default null: advertise the bound address (or, when that is a wildcard, the address the client reached).
    /// </summary>
    public IPAddress? ExternalAddress { get; init; }

    /// <summary>First port of relay sockets. Default 49152 (RFC 8656 §7.2 recommends the dynamic range).</summary>
    public int RelayPortMin { get; init; } = 49152;

    /// <summary>Last port of relay sockets. Default 65535.</summary>
    public int RelayPortMax { get; init; } = 65535;

    /// <summary>Allow relaying to 127.0.0.0/8 and ::1 (for tests on one machine). Default false.</summary>
    public bool AllowLoopbackPeers { get; init; }

    /// <summary>CIDR ranges allowed even though the default policy denies them (e.g. an internal media server's subnet).</summary>
    public IReadOnlyList<string> AllowedPeerRanges { get; init; } = [];

    /// <summary>CIDR ranges denied on top of the defaults. Denial wins over <see cref="AllowedPeerRanges"/>.</summary>
    public IReadOnlyList<string> DeniedPeerRanges { get; init; } = [];

    /// <summary>Allocations one user may hold at once; beyond it Allocate gets 486 (RFC 8656 §7.2). Default 10.</summary>
    public int MaxAllocationsPerUser { get; init; } = 10;

    /// <summary>Allocations the server holds at once; beyond it Allocate gets 508 (RFC 8656 §7.2). Default 10,000.</summary>
    public int MaxAllocations { get; init; } = 10_000;

    /// <summary>Permissions per allocation; beyond it CreatePermission gets 508 (RFC 8656 §10.2). Default 256.</summary>
    public int MaxPermissionsPerAllocation { get; init; } = 256;

    /// <summary>
    /// Also accept channel numbers 0x5000–0x7FFF, which RFC 5766 §11 allowed and RFC 8656 §12 reserved (RFC 7983 muxing).
    /// Clients written to RFC 5766, coturn's among them, pick from the whole old range. Default false.
    /// </summary>
    public bool AllowRfc5766ChannelNumbers { get; init; }

    /// <summary>
    /// Payload bytes per second each allocation may relay in each direction. Over UDP relays the excess is dropped and
    /// counted; TCP relaying (RFC 6062) holds the bytes back until the budget covers them, which its data connections
    /// share, so TCP flow control slows the sender. 0 = unlimited. Default 0.
    /// </summary>
    public long BandwidthLimitBytesPerSecond { get; init; }

    /// <summary>
    /// Over UDP, how large an unauthenticated error response (401, 438) may be compared with the request that caused
    /// it; the server shortens the challenge, or stays silent, rather than exceed it. Default
    /// <see cref="DefaultUnauthenticatedAmplificationLimit"/> (3): a browser's first Allocate is 28–36 bytes and the
    /// smallest 401 (REALM + NONCE) about 60, so 1.0 would leave browsers without a challenge over UDP. The per-source
    /// rate limit (<see cref="UnauthenticatedResponsesPerSecond"/>) bounds what a spoofed flood can reflect.
    /// </summary>
    public double UnauthenticatedAmplificationLimit { get; init; } = DefaultUnauthenticatedAmplificationLimit;

    /// <summary>Default of <see cref="UnauthenticatedAmplificationLimit"/>: enough for a 401 to a 28-byte Allocate.</summary>
    public const double DefaultUnauthenticatedAmplificationLimit = 3.0;

    /// <summary>Unauthenticated responses per second to one source address (a token bucket). Default 20.</summary>
    public int UnauthenticatedResponsesPerSecond { get; init; } = 20;

    /// <summary>SOFTWARE attribute of responses (RFC 8489 §14.14); null leaves it out. Default <c>PeerConnect</c>.</summary>
    public string? Software { get; init; } = "PeerConnect";

    /// <summary>Largest datagram relayed from a peer; larger ones are truncated by the socket and dropped. Default 65,507.</summary>
    public int MaxRelayDatagramLength { get; init; } = 65_507;

    /// <summary>Grant TCP allocations (RFC 6062). False answers REQUESTED-TRANSPORT TCP with 442, as a UDP-only server does. Default true.</summary>
    public bool AllowTcpRelay { get; init; } = true;

    /// <summary>
    /// Peer data connections one TCP allocation may hold, pending or bound (RFC 6062); beyond it a Connect gets 508
    /// and a peer's connection to the relayed address is closed. Default 32.
    /// </summary>
    public int MaxTcpConnectionsPerAllocation { get; init; } = 32;

    /// <summary>
    /// How long a Connect waits for the peer's TCP handshake before answering 447 (RFC 6062 §5.2, which asks for at
    /// least 30 s). Default 30 s.
    /// </summary>
    public TimeSpan TcpConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Threads that read the UDP relay sockets of all allocations (Linux: each waits on an epoll set and drains ready
    /// sockets without blocking). 0 gives each relay socket an asynchronous receive loop of its own instead, which is
    /// also what other systems use. Default <see cref="Environment.ProcessorCount"/>.
    /// </summary>
    public int RelayReceiveThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Kernel receive and send buffer of each relay socket, in bytes (set with SO_RCVBUFFORCE/SO_SNDBUFFORCE when
    /// running as root, else capped by <c>net.core.rmem_max</c>/<c>wmem_max</c>); 0 keeps the system default.
    /// Default 512 KiB: about a second of a video call's packets while a receive thread is not scheduled.
    /// </summary>
    public int RelaySocketBufferBytes { get; init; } = DefaultRelaySocketBufferBytes;

    /// <summary>Default of <see cref="RelaySocketBufferBytes"/>: 512 KiB.</summary>
    public const int DefaultRelaySocketBufferBytes = 512 * 1024;

    /// <summary>Throws when the options cannot work together; <see cref="TurnServer"/> calls it at construction.</summary>
    /// <exception cref="ArgumentException">A value is invalid; the message names it.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Realm))
        {
            throw new ArgumentException("Realm must not be empty.", nameof(Realm));
        }
        ArgumentNullException.ThrowIfNull(Users, nameof(Users));
        foreach (var (user, password) in Users)
        {
            if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(password))
            {
                throw new ArgumentException("Users must map non-empty user names to non-empty passwords.", nameof(Users));
            }
        }
        if (PreviousAuthSecret is not null && AuthSecret is null)
        {
            throw new ArgumentException("PreviousAuthSecret needs AuthSecret.", nameof(PreviousAuthSecret));
        }
        CheckPositive(NonceLifetime, nameof(NonceLifetime));
        CheckPositive(DefaultAllocationLifetime, nameof(DefaultAllocationLifetime));
        CheckPositive(MaxAllocationLifetime, nameof(MaxAllocationLifetime));
        if (DefaultAllocationLifetime > MaxAllocationLifetime)
        {
            throw new ArgumentException("DefaultAllocationLifetime exceeds MaxAllocationLifetime.", nameof(DefaultAllocationLifetime));
        }
        ArgumentNullException.ThrowIfNull(RelayAddress, nameof(RelayAddress));
        if (RelayAddress.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("RelayAddress must be IPv4; use RelayAddressV6 for IPv6.", nameof(RelayAddress));
        }
        if (RelayAddressV6 is not null && RelayAddressV6.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException("RelayAddressV6 must be IPv6.", nameof(RelayAddressV6));
        }
        if (ExternalAddress is not null && (ExternalAddress.Equals(IPAddress.Any) || ExternalAddress.Equals(IPAddress.IPv6Any)))
        {
            throw new ArgumentException("ExternalAddress must be a specific address.", nameof(ExternalAddress));
        }
        if (RelayPortMin is < 1 or > IPEndPoint.MaxPort || RelayPortMax is < 1 or > IPEndPoint.MaxPort || RelayPortMin > RelayPortMax)
        {
            throw new ArgumentException($"The relay port range {RelayPortMin}-{RelayPortMax} is not within 1-65535 or is reversed.", nameof(RelayPortMin));
        }
        _ = PeerAddressPolicy.ParseRanges(AllowedPeerRanges, nameof(AllowedPeerRanges));
        _ = PeerAddressPolicy.ParseRanges(DeniedPeerRanges, nameof(DeniedPeerRanges));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAllocationsPerUser, 1, nameof(MaxAllocationsPerUser));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAllocations, 1, nameof(MaxAllocations));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPermissionsPerAllocation, 1, nameof(MaxPermissionsPerAllocation));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTcpConnectionsPerAllocation, 1, nameof(MaxTcpConnectionsPerAllocation));
        CheckPositive(TcpConnectTimeout, nameof(TcpConnectTimeout));
        ArgumentOutOfRangeException.ThrowIfNegative(BandwidthLimitBytesPerSecond, nameof(BandwidthLimitBytesPerSecond));
        if (double.IsNaN(UnauthenticatedAmplificationLimit) || UnauthenticatedAmplificationLimit < 0)
        {
            throw new ArgumentException("UnauthenticatedAmplificationLimit must be a non-negative number.", nameof(UnauthenticatedAmplificationLimit));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(UnauthenticatedResponsesPerSecond, 1, nameof(UnauthenticatedResponsesPerSecond));
        ArgumentOutOfRangeException.ThrowIfNegative(RelayReceiveThreads, nameof(RelayReceiveThreads));
        ArgumentOutOfRangeException.ThrowIfNegative(RelaySocketBufferBytes, nameof(RelaySocketBufferBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RelayReceiveThreads, 256, nameof(RelayReceiveThreads));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRelayDatagramLength, 576, nameof(MaxRelayDatagramLength));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxRelayDatagramLength, 65_507, nameof(MaxRelayDatagramLength));
    }

    private static void CheckPositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
        }
    }
}
