using System.Net;
using PeerConnect.Stun;

namespace PeerConnect.Ice.Checks;

/// <summary>What a STUN transaction of the agent is for.</summary>
internal enum TransactionKind
{
    /// <summary>A connectivity check (RFC 8445 §7.2.4).</summary>
    Check,
    /// <summary>A consent freshness check on the selected pair (RFC 7675 §5.1).</summary>
    Consent,
    /// <summary>A Binding request to a STUN server for a server-reflexive candidate (RFC 8445 §5.1.1.2).</summary>
    ServerBinding,
}

/// <summary>One outstanding request, retransmitted on the agent's tick (RFC 8489 §6.2.1 timers, RFC 8445 §14.3 RTO).</summary>
internal sealed class IceTransaction(TransactionId id, TransactionKind kind, LocalBase localBase, IPEndPoint destination, byte[] message)
{
    public TransactionId Id { get; } = id;

    public TransactionKind Kind { get; } = kind;

    public LocalBase Base { get; } = localBase;

    public IPEndPoint Destination { get; } = destination;

    public byte[] Message { get; } = message;

    public CandidatePair? Pair { get; init; }

    public bool UseCandidate { get; init; }

    /// <summary>The PRIORITY sent, which a peer-reflexive local candidate learned from the response takes (RFC 8445 §7.2.5.3.1).</summary>
    public uint PrflxPriority { get; init; }

    /// <summary>The role the request claimed, for 487 repair (RFC 8445 §7.2.5.1).</summary>
    public IceRole Role { get; init; }

    /// <summary>The remote password key the response must be signed with.</summary>
    public byte[]? Key { get; init; }

    /// <summary>The server asked, for server-reflexive foundations.</summary>
    public EndPoint? Server { get; init; }

    public int Transmissions { get; set; } = 1;

    public TimeSpan Rto { get; set; }

    public DateTimeOffset NextAt { get; set; }

    /// <summary>Superseded by a triggered check (RFC 8445 §7.3.1.4): still matches responses, no longer retransmitted.</summary>
    public bool Retired { get; set; }
}
