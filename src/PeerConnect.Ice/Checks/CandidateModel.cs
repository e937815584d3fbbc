using System.Net;
using PeerConnect.Ice.Candidates;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Ice.Checks;

/// <summary>A socket candidates are sent from (RFC 8445 §5.1.1: a host candidate's own address, or a relayed address).</summary>
internal sealed class LocalBase(IDatagramTransport transport, IPEndPoint address, int index)
{
    public IDatagramTransport Transport { get; } = transport;

    public IPEndPoint Address { get; } = address;

    /// <summary>Orders bases for local preferences and logs.</summary>
    public int Index { get; } = index;
}

/// <summary>A local candidate and the base it sends from.</summary>
internal sealed class LocalCandidate(IceCandidate candidate, LocalBase @base, IPEndPoint endPoint)
{
    /// <summary>Settable so a peer-reflexive candidate can become the server-reflexive one signalled for the same address.</summary>
    public IceCandidate Candidate { get; set; } = candidate;

    public LocalBase Base { get; } = @base;

    public IPEndPoint EndPoint { get; } = endPoint;

    /// <summary>The local preference it was given, reused for the PRIORITY of its checks (RFC 8445 §7.1.1).</summary>
    public int LocalPreference { get; init; }
}

/// <summary>A remote candidate with its resolved address.</summary>
internal sealed class RemoteCandidate(IceCandidate candidate, IPEndPoint endPoint)
{
    /// <summary>Settable so a peer-reflexive candidate takes the type and priority signalled later for its address (RFC 8838 §11.4).</summary>
    public IceCandidate Candidate { get; set; } = candidate;

    public IPEndPoint EndPoint { get; } = endPoint;
}

/// <summary>Pair states (RFC 8445 §6.1.2.6).</summary>
internal enum PairState
{
    Frozen,
    Waiting,
    InProgress,
    Succeeded,
    Failed,
}

/// <summary>One candidate pair, in the check list or the valid list (RFC 8445 §6.1.2, §7.2.5.3.2).</summary>
internal sealed class CandidatePair(LocalCandidate local, RemoteCandidate remote)
{
    public LocalCandidate Local { get; } = local;

    public RemoteCandidate Remote { get; } = remote;

    public PairState State { get; set; } = PairState.Frozen;

    public ulong Priority { get; private set; }

    /// <summary>Local and remote foundations joined: the pair's foundation (RFC 8445 §6.1.2.6).</summary>
    public string Foundation => Local.Candidate.Foundation + ":" + Remote.Candidate.Foundation;

    /// <summary>In the valid list (RFC 8445 §7.2.5.3.2).</summary>
    public bool Valid { get; set; }

    /// <summary>Nominated (RFC 8445 §8.1.1 / §7.3.1.5).</summary>
    public bool Nominated { get; set; }

    /// <summary>The controlled agent got USE-CANDIDATE before this pair's check succeeded (RFC 8445 §7.3.1.5).</summary>
    public bool NominateOnSuccess { get; set; }

    /// <summary>The valid pair this pair's successful check produced (RFC 8445 §7.2.5.3.2).</summary>
    public CandidatePair? ValidPair { get; set; }

    public void UpdatePriority(IceRole role) =>
        Priority = role == IceRole.Controlling
            ? IcePriority.Pair(Local.Candidate.Priority, Remote.Candidate.Priority)
            : IcePriority.Pair(Remote.Candidate.Priority, Local.Candidate.Priority);

    public IceCandidatePairInfo ToInfo() => new(Local.Candidate, Remote.Candidate, Priority);

    public override string ToString() => ToInfo().ToString();
}
