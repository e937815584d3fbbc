namespace PeerConnect.Ice.Network;

/// <summary>What a datagram on the shared socket carries, by its first byte (RFC 7983 §7).</summary>
public enum IcePacketKind
{
    /// <summary>Not one of the protocols RFC 7983 names; dropped.</summary>
    Unknown,
    /// <summary>0–3: STUN (RFC 8489), for the ICE agent.</summary>
    Stun,
    /// <summary>16–19: ZRTP; not used by PeerConnect, dropped.</summary>
    Zrtp,
    /// <summary>20–63: DTLS (RFC 9147).</summary>
    Dtls,
    /// <summary>64–79: TURN ChannelData (RFC 8656 §12.4).</summary>
    TurnChannel,
    /// <summary>128–191: RTP or RTCP (RFC 3550).</summary>
    Rtp,
}

/// <summary>
/// The RFC 7983 §7 demultiplexing rule (updating RFC 5764 §5.1.2):
/// <code>
///                  +----------------+
///                  |        [0..3] -+--&gt; forward to STUN
///                  |                |
///                  |      [16..19] -+--&gt; forward to ZRTP
///                  |                |
///      packet --&gt;  |      [20..63] -+--&gt; forward to DTLS
///                  |                |
///                  |      [64..79] -+--&gt; forward to TURN Channel
///                  |                |
///                  |    [128..191] -+--&gt; forward to RTP/RTCP
///                  +----------------+
/// </code>
/// </summary>
public static class IceDemux
{
    /// <summary>Classifies <paramref name="datagram"/> by its first byte.</summary>
    public static IcePacketKind Classify(ReadOnlySpan<byte> datagram)
    {
        if (datagram.IsEmpty)
        {
            return IcePacketKind.Unknown;
        }

        return datagram[0] switch
        {
            <= 3 => IcePacketKind.Stun,
            >= 16 and <= 19 => IcePacketKind.Zrtp,
            >= 20 and <= 63 => IcePacketKind.Dtls,
            >= 64 and <= 79 => IcePacketKind.TurnChannel,
            >= 128 and <= 191 => IcePacketKind.Rtp,
            _ => IcePacketKind.Unknown,
        };
    }

    /// <summary>True for what the selected pair's pipe hands to the layers above: DTLS and RTP/RTCP.</summary>
    public static bool IsUpperLayer(IcePacketKind kind) => kind is IcePacketKind.Dtls or IcePacketKind.Rtp;
}
