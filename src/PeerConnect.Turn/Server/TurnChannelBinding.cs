namespace PeerConnect.Turn.Server;

/// <summary>A channel binding (RFC 8656 §12): a channel number tied to one peer transport address, both ways.</summary>
internal sealed class TurnChannelBinding(ushort number, TurnAddress peer, long expires)
{
    public ushort Number { get; } = number;

    public TurnAddress Peer { get; } = peer;

    /// <summary>Expiry as a <see cref="TimeProvider"/> timestamp.</summary>
    public long Expires { get; set; } = expires;
}
