namespace PeerConnect.Ice.Candidates;

/// <summary>Candidate and pair priorities (RFC 8445 §5.1.2, §6.1.2.3).</summary>
public static class IcePriority
{
    /// <summary>The local preference of the only interface, or of the highest-ranked one (RFC 8445 §5.1.2.1).</summary>
    public const int MaxLocalPreference = 65535;

    /// <summary>
    /// RFC 8445 §5.1.2.1:
    /// <code>
    /// priority = (2^24)*(type preference) + (2^8)*(local preference) + (2^0)*(256 - component ID)
    /// </code>
    /// </summary>
    /// <param name="typePreference">0–126.</param>
    /// <param name="localPreference">0–65535; ranks interfaces and IP families (RFC 8445 §5.1.2.2).</param>
    /// <param name="componentId">1–256.</param>
    public static uint Candidate(int typePreference, int localPreference, int componentId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(typePreference);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(typePreference, 126);
        ArgumentOutOfRangeException.ThrowIfNegative(localPreference);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(localPreference, MaxLocalPreference);
        ArgumentOutOfRangeException.ThrowIfLessThan(componentId, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(componentId, 256);
        return ((uint)typePreference << 24) + ((uint)localPreference << 8) + (uint)(256 - componentId);
    }

    /// <summary>
    /// RFC 8445 §6.1.2.3, with G the controlling agent's candidate priority and D the controlled one's:
    /// <code>
    /// pair priority = 2^32*MIN(G,D) + 2*MAX(G,D) + (G&gt;D?1:0)
    /// </code>
    /// </summary>
    public static ulong Pair(uint controlling, uint controlled) =>
        ((ulong)Math.Min(controlling, controlled) << 32) + 2UL * Math.Max(controlling, controlled) + (controlling > controlled ? 1UL : 0UL);
}
