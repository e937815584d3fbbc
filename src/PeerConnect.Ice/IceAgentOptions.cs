using System.Net;
using PeerConnect.Ice.Candidates;
using PeerConnect.Ice.Network;

namespace PeerConnect.Ice;

/// <summary>Configuration of an <see cref="IceAgent"/>; checked by <see cref="Validate"/> when the agent is created.</summary>
public sealed record IceAgentOptions
{
    /// <summary>Whether this agent starts as controlling (RFC 8445 §6.1.1: the offerer, unless it is lite). Default true.</summary>
    public bool Controlling { get; init; } = true;

    /// <summary>Run as an ICE-lite agent (RFC 8445 §2.5): host candidates only, never sends checks, always controlled.</summary>
    public bool Lite { get; init; }

    /// <summary>Candidate type preferences (RFC 8445 §5.1.2.1).</summary>
    public IceTypePreferences TypePreferences { get; init; } = IceTypePreferences.Default;

    /// <summary>
    /// Ta, the pacing of new STUN transactions (RFC 8445 §14.2). Default 50 ms, the RFC's value. The agent proposes it in
    /// <see cref="IceParameters.Pacing"/> and, once it knows the peer's parameters, paces at the larger of the two
    /// proposals (a peer that proposes none counts as 50 ms).
    /// </summary>
    public TimeSpan CheckPacing { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Initial retransmission timeout of a check (RFC 8445 §14.3). Default 500 ms.</summary>
    public TimeSpan CheckRetransmissionTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Transmissions of one check before its pair fails (RFC 8489 §6.2.1 Rc). Default 7.</summary>
    public int MaxCheckTransmissions { get; init; } = 7;

    /// <summary>Upper bound on the check list (RFC 8445 §6.1.2.5). Default 100.</summary>
    public int MaxPairs { get; init; } = 100;

    /// <summary>Upper bound on remote candidates kept (trickled and peer-reflexive). Default 100.</summary>
    public int MaxRemoteCandidates { get; init; } = 100;

    /// <summary>Mean interval between consent checks on the selected pair, randomised ±20% (RFC 7675 §5.1). Default 5 s.</summary>
    public TimeSpan ConsentInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Without consent for this long the state becomes <see cref="IceConnectionState.Disconnected"/>. Default 10 s.</summary>
    public TimeSpan ConsentDisconnectedTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Without consent for this long it is lost: sending stops and the state becomes <see cref="IceConnectionState.Failed"/> (RFC 7675 §5.1: 30 s). Default 30 s.</summary>
    public TimeSpan ConsentTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Addresses to gather host candidates on; null enumerates interfaces through <see cref="SocketFactory"/>.</summary>
    public IReadOnlyList<IPAddress>? HostAddresses { get; init; }

    /// <summary>Whether enumerated host addresses include loopback. Default false.</summary>
    public bool IncludeLoopback { get; init; }

    /// <summary>Interfaces and sockets; defaults to the machine's.</summary>
    public IIceSocketFactory SocketFactory { get; init; } = SystemIceSocketFactory.Instance;

    /// <summary>STUN servers asked for server-reflexive candidates (RFC 8445 §5.1.1.2).</summary>
    public IReadOnlyList<IPEndPoint> StunServers { get; init; } = [];

    /// <summary>TURN allocations asked for relayed candidates (RFC 8445 §5.1.1.2).</summary>
    public IReadOnlyList<IIceRelayProvider> RelayProviders { get; init; } = [];

    /// <summary>
    /// Which local candidates are gathered, as the W3C <c>iceTransportPolicy</c>: <see cref="IceTransportPolicy.Relay"/>
    /// gathers relayed candidates only (no host or server-reflexive ones), so the peer never learns a local address.
    /// Default <see cref="IceTransportPolicy.All"/>.
    /// </summary>
    public IceTransportPolicy TransportPolicy { get; init; } = IceTransportPolicy.All;

    /// <summary>
    /// Resolves remote <c>*.local</c> candidates, which browsers send by default to hide host addresses. Default a
    /// <see cref="Mdns.MulticastDnsResolver"/> (RFC 6762 one-shot queries on the local link, bounded by
    /// <see cref="HostNameResolutionTimeout"/>); null turns resolution off and drops such candidates.
    /// </summary>
    public IIceHostNameResolver? HostNameResolver { get; init; } = new Mdns.MulticastDnsResolver();

    /// <summary>How long a remote host name may take to resolve before its candidate is dropped. Default 5 s.</summary>
    public TimeSpan HostNameResolutionTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Datagrams queued for the layer above before the oldest are dropped. Default 1024.</summary>
    public int ReceiveQueueCapacity { get; init; } = 1024;

    /// <summary>Largest datagram received. Default 1500 bytes, one Ethernet MTU.</summary>
    public int MaxDatagramLength { get; init; } = 1500;

    /// <summary>Checks every value and throws on the first that is out of range.</summary>
    /// <exception cref="ArgumentException">A value is invalid.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(TypePreferences);
        TypePreferences.Validate();
        Positive(CheckPacing, nameof(CheckPacing));
        Positive(CheckRetransmissionTimeout, nameof(CheckRetransmissionTimeout));
        Positive(ConsentInterval, nameof(ConsentInterval));
        Positive(ConsentDisconnectedTimeout, nameof(ConsentDisconnectedTimeout));
        Positive(HostNameResolutionTimeout, nameof(HostNameResolutionTimeout));
        if (ConsentTimeout < ConsentDisconnectedTimeout)
        {
            throw new ArgumentException("ConsentTimeout must not be shorter than ConsentDisconnectedTimeout.");
        }

        if (MaxCheckTransmissions is < 1 or > 20)
        {
            throw new ArgumentException("MaxCheckTransmissions must be 1–20.");
        }

        if (MaxPairs < 1 || MaxRemoteCandidates < 1 || ReceiveQueueCapacity < 1)
        {
            throw new ArgumentException("MaxPairs, MaxRemoteCandidates and ReceiveQueueCapacity must be positive.");
        }

        if (MaxDatagramLength is < 576 or > 65535)
        {
            throw new ArgumentException("MaxDatagramLength must be 576–65535.");
        }

        ArgumentNullException.ThrowIfNull(SocketFactory);
        ArgumentNullException.ThrowIfNull(StunServers);
        ArgumentNullException.ThrowIfNull(RelayProviders);
        if (!Enum.IsDefined(TransportPolicy))
        {
            throw new ArgumentException("TransportPolicy is not a known policy.");
        }

        if (TransportPolicy == IceTransportPolicy.Relay && (Lite || RelayProviders.Count == 0))
        {
            throw new ArgumentException("The relay transport policy needs at least one relay provider and a full (not lite) agent.");
        }
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{name} must be positive.");
        }
    }
}
