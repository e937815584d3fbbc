using System.Collections.Concurrent;
using System.Net;

namespace PeerConnect.Turn.Client;

/// <summary>
/// The client's peers, found by endpoint (send path), by wire address (Data indications) and by channel number
/// (ChannelData) in O(1). Only the serial owner adds, removes and binds; the send and receive paths read
/// concurrently, which the concurrent dictionaries and the volatile channel slots make safe without locks.
/// </summary>
internal sealed class TurnPeerTable
{
    private readonly ConcurrentDictionary<IPEndPoint, TurnPeer> _byEndPoint = new();
    private readonly ConcurrentDictionary<PeerKey, TurnPeer> _byKey = new();
    private readonly TurnPeer?[] _byChannel = new TurnPeer?[ChannelDataFrame.MaxChannelNumber - ChannelDataFrame.MinChannelNumber + 1];
    private int _nextChannel;

    public ICollection<TurnPeer> All => _byEndPoint.Values;

    public TurnPeer? Find(IPEndPoint endPoint) => _byEndPoint.GetValueOrDefault(endPoint);

    public TurnPeer? Find(PeerKey key) => _byKey.GetValueOrDefault(key);

    public TurnPeer? FindByChannel(ushort channel) =>
        ChannelDataFrame.IsValidChannelNumber(channel)
            ? Volatile.Read(ref _byChannel[channel - ChannelDataFrame.MinChannelNumber])
            : null;

    public TurnPeer GetOrAdd(IPEndPoint endPoint)
    {
        if (_byEndPoint.TryGetValue(endPoint, out TurnPeer? known))
        {
            return known;
        }

        var peer = new TurnPeer(endPoint);
        _byEndPoint[endPoint] = peer;
        _byKey[peer.Key] = peer;
        return peer;
    }

    public void Remove(TurnPeer peer)
    {
        _byEndPoint.TryRemove(peer.EndPoint, out _);
        _byKey.TryRemove(peer.Key, out _);
        ReleaseChannel(peer);
        peer.DisposeTimers();
    }

    /// <summary>
    /// Gives <paramref name="peer"/> a free channel number, or 0 when all 4096 are taken. Numbers are handed out
    /// round-robin so a released number is not rebound soon after (RFC 8656 §12: a number stays tied to its peer
    /// while bound, and should not go to another peer for 5 minutes after).
    /// </summary>
    public ushort AssignChannel(TurnPeer peer)
    {
        if (peer.AssignedChannel != 0)
        {
            return peer.AssignedChannel;
        }

        for (int tried = 0; tried < _byChannel.Length; tried++)
        {
            int slot = _nextChannel;
            _nextChannel = (_nextChannel + 1) % _byChannel.Length;
            if (_byChannel[slot] is null)
            {
                Volatile.Write(ref _byChannel[slot], peer);
                peer.AssignedChannel = (ushort)(ChannelDataFrame.MinChannelNumber + slot);
                return peer.AssignedChannel;
            }
        }

        return 0;
    }

    public void ReleaseChannel(TurnPeer peer)
    {
        if (peer.AssignedChannel == 0)
        {
            return;
        }

        Volatile.Write(ref _byChannel[peer.AssignedChannel - ChannelDataFrame.MinChannelNumber], null);
        peer.AssignedChannel = 0;
        peer.MarkBound(0);
    }
}
