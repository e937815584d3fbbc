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
}
