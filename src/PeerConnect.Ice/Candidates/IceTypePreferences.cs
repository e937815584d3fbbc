namespace PeerConnect.Ice.Candidates;

/// <summary>
/// Type preferences for candidate priorities (RFC 8445 §5.1.2.1, §5.1.2.2): 0–126, distinct per type,
/// peer-reflexive above server-reflexive, host highest and relay lowest by default.
/// </summary>
public sealed record IceTypePreferences
{
    /// <summary>The RFC 8445 §5.1.2.2 recommended values: host 126, prflx 110, srflx 100, relay 0.</summary>
    public static IceTypePreferences Default { get; } = new();

    /// <summary>Preference of host candidates; default 126.</summary>
    public int Host { get; init; } = 126;

    /// <summary>Preference of peer-reflexive candidates; default 110.</summary>
    public int PeerReflexive { get; init; } = 110;

    /// <summary>Preference of server-reflexive candidates; default 100.</summary>
    public int ServerReflexive { get; init; } = 100;

    /// <summary>Preference of relayed candidates; default 0.</summary>
    public int Relayed { get; init; }

    /// <summary>The preference for <paramref name="type"/>.</summary>
    public int For(IceCandidateType type) => type switch
    {
        IceCandidateType.Host => Host,
        IceCandidateType.PeerReflexive => PeerReflexive,
        IceCandidateType.ServerReflexive => ServerReflexive,
        _ => Relayed,
    };

    /// <summary>Checks RFC 8445 §5.1.2.1: each value in 0–126 and distinct.</summary>
    /// <exception cref="ArgumentException">A value is out of range or shared.</exception>
    public void Validate()
    {
        int[] values = [Host, PeerReflexive, ServerReflexive, Relayed];
        foreach (int value in values)
        {
            if (value is < 0 or > 126)
            {
                throw new ArgumentException($"Type preference {value} is outside 0–126 (RFC 8445 §5.1.2.1).");
            }
        }

        if (values.Distinct().Count() != values.Length)
        {
            throw new ArgumentException("Type preferences must differ per type (RFC 8445 §5.1.2.1).");
        }
    }
}
