using System.Net;

namespace PeerConnect.Ice.Checks;

/// <summary>
/// The check list of the single data stream WebRTC bundles onto (RFC 8445 §6.1.2): forming, pruning and ordering
/// pairs, the frozen algorithm, and the triggered-check queue (§7.3.1.4). Owned by the agent's loop; not thread-safe.
/// </summary>
internal sealed class IceCheckList(int maxPairs)
{
    private readonly List<CandidatePair> _pairs = [];
    private readonly List<CandidatePair> _validOnly = [];
    private readonly LinkedList<CandidatePair> _triggered = new();

    public IReadOnlyList<CandidatePair> Pairs => _pairs;

    /// <summary>Valid pairs not in the check list: those with a server- or peer-reflexive local candidate (RFC 8445 §7.2.5.3.2).</summary>
    public IReadOnlyList<CandidatePair> ValidOnly => _validOnly;

    public IEnumerable<CandidatePair> AllValid => _pairs.Where(p => p.Valid).Concat(_validOnly);

    public CandidatePair? Find(LocalBase localBase, IPEndPoint remote) =>
        _pairs.Find(p => p.Local.Base == localBase && p.Remote.EndPoint.Equals(remote));

    public CandidatePair? FindValid(LocalCandidate local, IPEndPoint remote) =>
        _pairs.Find(p => p.Local == local && p.Remote.EndPoint.Equals(remote))
        ?? _validOnly.Find(p => p.Local == local && p.Remote.EndPoint.Equals(remote));

    /// <summary>
    /// Adds a pair unless it is redundant (RFC 8445 §6.1.2.4: same local base and same remote candidate as a pair already
    /// listed; server-reflexive locals never reach here because they are replaced by their base). Sets its initial state
    /// the way RFC 8838 §10 extends §6.1.2.6 for trickled pairs: Waiting unless another pair of its foundation is
    /// already Waiting or In-Progress. Returns the pair, or null when it was redundant or the list is full.
    /// </summary>
    public CandidatePair? Add(CandidatePair pair, IceRole role)
    {
        if (Find(pair.Local.Base, pair.Remote.EndPoint) is not null)
        {
            return null;
        }

        pair.UpdatePriority(role);
        if (_pairs.Count >= maxPairs)
        {
            // RFC 8445 §6.1.2.5: keep the highest-priority pairs.
            var lowest = _pairs.MinBy(p => p.Priority)!;
            if (lowest.Priority >= pair.Priority || lowest.State is PairState.InProgress or PairState.Succeeded)
            {
                return null;
            }

            _pairs.Remove(lowest);
            _triggered.Remove(lowest);
        }

        string foundation = pair.Foundation;
        bool busy = _pairs.Exists(p => p.Foundation == foundation && p.State is PairState.Waiting or PairState.InProgress);
        pair.State = busy ? PairState.Frozen : PairState.Waiting;
        Insert(pair);
        return pair;
    }

    public void AddValidOnly(CandidatePair pair, IceRole role)
    {
        pair.UpdatePriority(role);
        _validOnly.Add(pair);
    }

    /// <summary>Queues a triggered check (RFC 8445 §7.3.1.4): FIFO, ahead of ordinary checks.</summary>
    public void Trigger(CandidatePair pair)
    {
        if (!_triggered.Contains(pair))
        {
            _triggered.AddLast(pair);
        }

        pair.State = PairState.Waiting;
    }

    /// <summary>
    /// The pair to check at the next Ta tick (RFC 8445 §6.1.4.2): the triggered queue first, then the highest-priority
    /// Waiting pair, else unfreeze the highest-priority Frozen pair.
    /// </summary>
    public CandidatePair? NextCheck()
    {
        while (_triggered.First is { } node)
        {
            _triggered.RemoveFirst();
            if (node.Value.State == PairState.Waiting)
            {
                return node.Value;
            }
        }

        // _pairs is kept in descending priority order, so the first match is the best.
        var waiting = _pairs.Find(p => p.State == PairState.Waiting);
        if (waiting is not null)
        {
            return waiting;
        }

        return _pairs.Find(p => p.State == PairState.Frozen);
    }

    /// <summary>RFC 8445 §7.2.5.3.3: a success unfreezes the Frozen pairs that share its foundation.</summary>
    public void UnfreezeFoundation(string foundation)
    {
        foreach (var p in _pairs)
        {
            if (p.State == PairState.Frozen && p.Foundation == foundation)
            {
                p.State = PairState.Waiting;
            }
        }
    }

    /// <summary>Recomputes priorities after a role change (RFC 8445 §7.2.5.1) and re-sorts.</summary>
    public void Reprioritise(IceRole role)
    {
        foreach (var p in _pairs)
        {
            p.UpdatePriority(role);
        }

        foreach (var p in _validOnly)
        {
            p.UpdatePriority(role);
        }

        _pairs.Sort((a, b) => b.Priority.CompareTo(a.Priority));
    }

    public bool HasPendingChecks => _pairs.Exists(p => p.State is PairState.Waiting or PairState.InProgress or PairState.Frozen);

    public bool AllFailed => _pairs.Count > 0 && _pairs.TrueForAll(p => p.State == PairState.Failed);

    /// <summary>Drops every pair (ICE restart, RFC 8445 §9); the agent keeps its selected pair apart.</summary>
    public void Clear()
    {
        _pairs.Clear();
        _validOnly.Clear();
        _triggered.Clear();
    }

    private void Insert(CandidatePair pair)
    {
        int i = _pairs.FindIndex(p => p.Priority < pair.Priority);
        _pairs.Insert(i < 0 ? _pairs.Count : i, pair);
    }
}
