using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace PeerConnect.Stun.Server;

/// <summary>What a <see cref="StunServer"/> listens on and how it answers.</summary>
public sealed record StunServerOptions
{
    /// <summary>The standard STUN/TURN port over UDP and TCP (RFC 8489 §9).</summary>
    public const int DefaultPort = 3478;

    /// <summary>The standard STUN/TURN port over TLS (RFC 8489 §9).</summary>
    public const int DefaultTlsPort = 5349;

    /// <summary>Addresses to listen on, each with UDP, TCP and (with a certificate) TLS. Defaults to every IPv4 and IPv6 address (IPv4 only where the system has no IPv6).</summary>
    public IReadOnlyList<IPAddress> ListenAddresses { get; init; } = Socket.OSSupportsIPv6 ? [IPAddress.Any, IPAddress.IPv6Any] : [IPAddress.Any];

    /// <summary>UDP and TCP port; 0 lets the system choose (read the chosen ports from <see cref="StunServer"/>). Default 3478.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>TLS port, used only with a <see cref="Certificate"/>; 0 lets the system choose. Default 5349.</summary>
    public int TlsPort { get; init; } = DefaultTlsPort;

    /// <summary>Whether to answer over UDP. Default true.</summary>
    public bool EnableUdp { get; init; } = true;

    /// <summary>Whether to answer over TCP. Default true.</summary>
    public bool EnableTcp { get; init; } = true;

    /// <summary>Server certificate with private key; TLS is offered only when it is set.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>
    /// Second IP address for RFC 5780 NAT behaviour discovery. When set, UDP listens on both the listen address of the
    /// same family and this one, each on <see cref="Port"/> and <see cref="Port"/>+1, answers CHANGE-REQUEST, and adds
    /// OTHER-ADDRESS and RESPONSE-ORIGIN. Requires exactly one, specific, listen address of its family.
    /// </summary>
    public IPAddress? AlternateAddress { get; init; }

    /// <summary>Receive loops per UDP endpoint (on Linux each with its own SO_REUSEPORT socket). Default: one per core.</summary>
    public int ReceiveLoops { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Kernel receive and send buffer of each UDP socket, in bytes (see <see cref="UdpSocketBuffers"/>); 0 keeps the system
    /// default. Default <see cref="DefaultUdpSocketBufferBytes"/>: enough for seconds of TURN traffic from many clients
    /// while a receive thread is not scheduled.
    /// </summary>
    public int UdpSocketBufferBytes { get; init; } = DefaultUdpSocketBufferBytes;

    /// <summary>Default of <see cref="UdpSocketBufferBytes"/>: 4 MiB.</summary>
    public const int DefaultUdpSocketBufferBytes = 4 * 1024 * 1024;

    /// <summary>SOFTWARE attribute of responses (RFC 8489 §14.14); <see langword="null"/> leaves it out.</summary>
    public string? Software { get; init; } = "PeerConnect";

    /// <summary>Largest message accepted or sent; longer datagrams are dropped as malformed. Default 4096.</summary>
    public int MaxMessageLength { get; init; } = 4096;

    /// <summary>Open TCP and TLS connections allowed at once; further ones are closed on accept. Default 10,000.</summary>
    public int MaxStreamConnections { get; init; } = 10_000;

    /// <summary>
    /// A TCP or TLS connection with no complete request for this long is closed (RFC 8489 §6.2.2 asks for at least 10 s),
    /// unless its packet handler exempted it (<see cref="StunClientLink.ExemptFromIdleTimeout"/>: a TURN allocation's
    /// connection lives as long as the allocation). Default 30 s.
    /// </summary>
    public TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>True when RFC 5780 behaviour discovery is configured.</summary>
    internal bool HasAlternate => AlternateAddress is not null;

    /// <summary>Throws when the options cannot work together; <see cref="StunServer"/> calls it before binding anything.</summary>
    /// <exception cref="ArgumentException">A value is invalid; the message names it.</exception>
    public void Validate()
    {
        if (ListenAddresses is null || ListenAddresses.Count == 0)
        {
            throw new ArgumentException("ListenAddresses must name at least one address.", nameof(ListenAddresses));
        }
        if (ListenAddresses.Distinct().Count() != ListenAddresses.Count)
        {
            throw new ArgumentException("ListenAddresses has duplicates.", nameof(ListenAddresses));
        }
        CheckPort(Port, nameof(Port), allowTopPort: !HasAlternate);
        CheckPort(TlsPort, nameof(TlsPort), allowTopPort: true);
        if (!EnableUdp && !EnableTcp && Certificate is null)
        {
            throw new ArgumentException("Nothing to listen on: UDP and TCP are disabled and there is no certificate for TLS.");
        }
        if (Certificate is not null && !Certificate.HasPrivateKey)
        {
            throw new ArgumentException("The TLS certificate has no private key.", nameof(Certificate));
        }
        if (Certificate is not null && TlsPort != 0 && TlsPort == Port && EnableTcp)
        {
            throw new ArgumentException("TlsPort must differ from Port: both are TCP.", nameof(TlsPort));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveLoops, 1, nameof(ReceiveLoops));
        ArgumentOutOfRangeException.ThrowIfNegative(UdpSocketBufferBytes, nameof(UdpSocketBufferBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageLength, 548, nameof(MaxMessageLength));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxMessageLength, StunConstants.DefaultMaxMessageLength, nameof(MaxMessageLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxStreamConnections, 1, nameof(MaxStreamConnections));
        ArgumentOutOfRangeException.ThrowIfLessThan(StreamIdleTimeout, TimeSpan.FromSeconds(1), nameof(StreamIdleTimeout));
        if (Software is { Length: > 127 })
        {
            // RFC 8489 §14.14: fewer than 128 characters.
            throw new ArgumentException("Software must be shorter than 128 characters.", nameof(Software));
        }
        if (AlternateAddress is not null)
        {
            ValidateAlternate(AlternateAddress);
        }
    }

    /// <summary>The listen address paired with <see cref="AlternateAddress"/> for RFC 5780.</summary>
    internal IPAddress? PrimaryForAlternate =>
        AlternateAddress is null ? null : ListenAddresses.SingleOrDefault(a => a.AddressFamily == AlternateAddress.AddressFamily);

    private void ValidateAlternate(IPAddress alternate)
    {
        if (alternate.Equals(IPAddress.Any) || alternate.Equals(IPAddress.IPv6Any))
        {
            throw new ArgumentException("AlternateAddress must be a specific address, not a wildcard.", nameof(AlternateAddress));
        }
        var sameFamily = ListenAddresses.Where(a => a.AddressFamily == alternate.AddressFamily).ToList();
        if (sameFamily.Count != 1 || sameFamily[0].Equals(IPAddress.Any) || sameFamily[0].Equals(IPAddress.IPv6Any))
        {
            // OTHER-ADDRESS and RESPONSE-ORIGIN must name concrete addresses, so the pair is two specific addresses.
            string family = alternate.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
            throw new ArgumentException($"With AlternateAddress, ListenAddresses must hold exactly one specific {family} address to pair it with.", nameof(AlternateAddress));
        }
        if (sameFamily[0].Equals(alternate))
        {
            throw new ArgumentException("AlternateAddress must differ from the listen address.", nameof(AlternateAddress));
        }
        if (!EnableUdp)
        {
            throw new ArgumentException("AlternateAddress needs UDP: RFC 5780 behaviour discovery runs over UDP.", nameof(AlternateAddress));
        }
    }

    private static void CheckPort(int port, string name, bool allowTopPort)
    {
        int max = allowTopPort ? IPEndPoint.MaxPort : IPEndPoint.MaxPort - 1;
        if (port < 0 || port > max)
        {
            throw new ArgumentOutOfRangeException(name, port, $"{name} must be 0 to {max}.");
        }
    }
}
