using PeerConnect.Stun;

namespace PeerConnect.Turn.Server;

/// <summary>
/// One allocation (RFC 8656 §2, §5): its 5-tuple, owner, relayed sockets, lifetime, permissions and channels.
/// Requests from the client and datagrams from peers touch it from different threads, so its tables are read and
/// written under <see cref="Sync"/>; each critical section is a few dictionary operations.
/// </summary>
internal sealed class TurnAllocation
{
    private readonly Dictionary<TurnAddress, long> _permissions = [];
    private readonly Dictionary<ushort, TurnChannelBinding> _channelsByNumber = [];
    private readonly Dictionary<TurnAddress, TurnChannelBinding> _channelsByPeer = [];
    private TokenBucket _toPeer;
    private TokenBucket _toClient;
    private readonly bool _limited;
    private long _nextIndication;

    public TurnAllocation(TurnFiveTuple fiveTuple, string username, ITurnClientLink link, ITurnRelaySocket[] relays, TransactionId allocateTransaction, long expires, long bandwidth, long now, TimeProvider time)
    {
        FiveTuple = fiveTuple;
        Username = username;
        Link = link;
        Sender = link.CreateSender(fiveTuple.Client);
        Relays = relays;
        AllocateTransaction = allocateTransaction;
        Expires = expires;
        _limited = bandwidth > 0;
        if (_limited)
        {
            // One second of traffic as burst: enough for a video keyframe, not enough to flood.
            _toPeer = new TokenBucket(bandwidth, bandwidth, now, time);
            _toClient = new TokenBucket(bandwidth, bandwidth, now, time);
        }
        StreamReadLimit = _limited ? (int)Math.Min(bandwidth, int.MaxValue) : int.MaxValue;
        _nextIndication = Random.Shared.NextInt64();
    }

    public Lock Sync { get; } = new();

    public TurnFiveTuple FiveTuple { get; }

    public string Username { get; }

    /// <summary>The socket or connection the allocation was made on; told when the allocation ends.</summary>
    public ITurnClientLink Link { get; }

    public ITurnClientSender Sender { get; }

    /// <summary>
    /// The most a TCP relay pipe reads at once (RFC 6062): one burst of the bandwidth budget, so pacing holds back one
    /// read for at most a second rather than a whole buffer for many; unlimited when there is no budget.
    /// </summary>
    public int StreamReadLimit { get; }

    /// <summary>The relayed sockets: one, or an IPv4 and an IPv6 one for a dual allocation (RFC 8656 §7.2).</summary>
    public ITurnRelaySocket[] Relays { get; }

    /// <summary>The Allocate that created it, so a retransmission gets the same success (RFC 8656 §7.2).</summary>
    public TransactionId AllocateTransaction { get; }

    /// <summary>Expiry as a <see cref="TimeProvider"/> timestamp; written under <see cref="Sync"/>.</summary>
    public long Expires { get; set; }

    /// <summary>Set when the allocation leaves the table; relay loops stop on it.</summary>
    public CancellationTokenSource Closing { get; } = new();

    public bool DontFragment { get; init; }

    /// <summary>The relayed TCP listener of a TCP allocation (RFC 6062); null for UDP. Also in <see cref="Relays"/>.</summary>
    public TcpRelay? Tcp { get; init; }

    public int PermissionCount => _permissions.Count;

    public int ChannelCount => _channelsByNumber.Count;

    public ITurnRelaySocket? RelayFor(TurnAddress peer)
    {
        foreach (var relay in Relays)
        {
            if (relay.LocalAddress.IsIPv4 == peer.IsIPv4)
            {
                return relay;
            }
        }
        return null;
    }

    /// <summary>True when a permission for the peer's IP (any port, RFC 8656 §9) is installed and current.</summary>
    public bool HasPermission(TurnAddress peer, long now) =>
        _permissions.TryGetValue(peer.WithoutPort(), out long expires) && expires > now;

    /// <summary>Installs or refreshes a permission; returns 1 when it is new, for the gauge.</summary>
    public int SetPermission(TurnAddress peer, long expires)
    {
        ref long slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_permissions, peer.WithoutPort(), out bool existed);
        slot = expires;
        return existed ? 0 : 1;
    }

    public bool HasPermissionSlot(TurnAddress peer) => _permissions.ContainsKey(peer.WithoutPort());

    public TurnChannelBinding? ChannelByNumber(ushort number) =>
        _channelsByNumber.TryGetValue(number, out var binding) ? binding : null;

    public TurnChannelBinding? ChannelByPeer(TurnAddress peer) =>
        _channelsByPeer.TryGetValue(peer, out var binding) ? binding : null;

    public void AddChannel(TurnChannelBinding binding)
    {
        _channelsByNumber.Add(binding.Number, binding);
        _channelsByPeer.Add(binding.Peer, binding);
    }

    /// <summary>Drops expired permissions and channels; returns how many of each went.</summary>
    public (int Permissions, int Channels) Sweep(long now)
    {
        int permissions = 0;
        foreach (var (peer, expires) in _permissions)
        {
            if (expires <= now)
            {
                _permissions.Remove(peer);
                permissions++;
            }
        }
        int channels = 0;
        foreach (var (number, binding) in _channelsByNumber)
        {
            if (binding.Expires <= now)
            {
                _channelsByNumber.Remove(number);
                _channelsByPeer.Remove(binding.Peer);
                channels++;
            }
        }
        return (permissions, channels);
    }

    public bool TryTakeToPeer(int bytes, long now) => !_limited || _toPeer.TryTake(bytes, now);

    public bool TryTakeToClient(int bytes, long now) => !_limited || _toClient.TryTake(bytes, now);

    /// <summary>
    /// TCP relaying (RFC 6062): counts <paramref name="bytes"/> piped toward the peer or the client against the same
    /// per-direction budget as UDP relaying (payload bytes), shared by all the allocation's data connections, and
    /// returns how long to hold them back; zero within the budget or when unlimited. Takes <see cref="Sync"/> itself.
    /// </summary>
    public TimeSpan TakeStreamBudget(int bytes, bool toPeer, long now)
    {
        if (!_limited)
        {
            return TimeSpan.Zero;
        }
        lock (Sync)
        {
            return toPeer ? _toPeer.Take(bytes, now) : _toClient.Take(bytes, now);
        }
    }

    /// <summary>A fresh transaction id for a Data indication; only uniqueness matters for indications (RFC 8489 §6).</summary>
    public (ulong High, uint Low) NextIndicationId()
    {
        long n = Interlocked.Increment(ref _nextIndication);
        return ((ulong)n, (uint)(n >> 17));
    }
}
