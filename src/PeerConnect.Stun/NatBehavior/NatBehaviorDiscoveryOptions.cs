namespace PeerConnect.Stun.NatBehavior;

/// <summary>Timing of RFC 5780 behaviour discovery.</summary>
public sealed record NatBehaviorDiscoveryOptions
{
    /// <summary>
    /// How long each test waits for its answer. The filtering tests treat silence as the answer, so this bounds
    /// the whole run to about three times its value. Default 3 s; RFC 8489's full 39.5 s transaction is rarely needed.
    /// </summary>
    public TimeSpan TestTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate() => ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TestTimeout, TimeSpan.Zero, nameof(TestTimeout));
}
