using PeerConnect.Ice.Candidates;

namespace PeerConnect.Ice;

/// <summary>Which agent nominates (RFC 8445 §6.1.1).</summary>
public enum IceRole
{
    /// <summary>The controlling agent nominates the pair to use.</summary>
    Controlling,
    /// <summary>The controlled agent accepts the controlling agent's nomination.</summary>
    Controlled,
}

/// <summary>Candidate gathering progress, shaped like the W3C <c>RTCIceGatheringState</c>.</summary>
public enum IceGatheringState
{
    /// <summary>Nothing gathered yet.</summary>
    New,
    /// <summary>Host, server-reflexive or relayed candidates are still being gathered.</summary>
    Gathering,
    /// <summary>Gathering finished; end-of-candidates was emitted.</summary>
    Complete,
}

/// <summary>Which local candidates the agent gathers, shaped like the W3C <c>RTCIceTransportPolicy</c>.</summary>
public enum IceTransportPolicy
{
    /// <summary>Host, server-reflexive and relayed candidates.</summary>
    All,
    /// <summary>Relayed candidates only: every path goes through TURN.</summary>
    Relay,
}

/// <summary>Connectivity, shaped like the W3C <c>RTCIceConnectionState</c>.</summary>
public enum IceConnectionState
{
    /// <summary>No checks yet.</summary>
    New,
    /// <summary>Checks are running and no pair is selected.</summary>
    Checking,
    /// <summary>A nominated pair is selected; checks may continue.</summary>
    Connected,
    /// <summary>A pair is selected, both sides signalled end-of-candidates and no check is pending.</summary>
    Completed,
    /// <summary>Consent on the selected pair has not been refreshed for a while (RFC 7675); may recover.</summary>
    Disconnected,
    /// <summary>Every pair failed, or consent expired (RFC 7675 §5.1). Terminal until an ICE restart.</summary>
    Failed,
    /// <summary>The agent was closed.</summary>
    Closed,
}

/// <summary>An agent's credentials for one ICE session (RFC 8445 §5.3, RFC 8839 §5.4) and the pacing it proposes.</summary>
/// <param name="Ufrag">The username fragment: 4–256 <c>ice-char</c>s.</param>
/// <param name="Password">The password: 22–256 <c>ice-char</c>s.</param>
/// <param name="IsLite">Whether the agent is an ICE-lite implementation (RFC 8445 §2.5).</param>
/// <param name="Pacing">
/// The Ta the agent proposes, signalled as <c>a=ice-pacing</c> in whole milliseconds (RFC 8839 §5.5); null when it proposes
/// none, which counts as the 50 ms default. Both agents use the larger of the two proposals (RFC 8445 §14.2).
/// </param>
public sealed record IceParameters(string Ufrag, string Password, bool IsLite = false, TimeSpan? Pacing = null)
{
    /// <summary>The Ta an agent that proposes none is taken to use (RFC 8445 §14.2).</summary>
    public static readonly TimeSpan DefaultPacing = TimeSpan.FromMilliseconds(50);

    private const string IceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// <summary>Fresh random credentials: 8-character ufrag and 24-character password (RFC 8445 §5.3 asks for 24 and 128 bits of randomness).</summary>
    /// <param name="isLite">Whether the local agent is lite.</param>
    public static IceParameters Generate(bool isLite = false) =>
        new(System.Security.Cryptography.RandomNumberGenerator.GetString(IceChars, 8),
            System.Security.Cryptography.RandomNumberGenerator.GetString(IceChars, 24),
            isLite);

    /// <summary>Checks the RFC 8839 §5.4 lengths and alphabet.</summary>
    /// <exception cref="ArgumentException">The ufrag or password is malformed.</exception>
    public void Validate()
    {
        if (Ufrag is null || Ufrag.Length is < 4 or > 256 || !Ufrag.All(c => IceChars.Contains(c, StringComparison.Ordinal)))
        {
            throw new ArgumentException("ice-ufrag must be 4–256 ice-chars (RFC 8839 §5.4).");
        }

        if (Password is null || Password.Length is < 22 or > 256 || !Password.All(c => IceChars.Contains(c, StringComparison.Ordinal)))
        {
            throw new ArgumentException("ice-pwd must be 22–256 ice-chars (RFC 8839 §5.4).");
        }

        if (Pacing is { } pacing && (pacing <= TimeSpan.Zero || pacing.Ticks % TimeSpan.TicksPerMillisecond != 0))
        {
            throw new ArgumentException("ice-pacing must be a positive whole number of milliseconds (RFC 8839 §5.5).");
        }
    }
}

/// <summary>A candidate pair as seen from outside the agent.</summary>
/// <param name="Local">The local candidate.</param>
/// <param name="Remote">The remote candidate.</param>
/// <param name="Priority">The pair priority (RFC 8445 §6.1.2.3).</param>
public sealed record IceCandidatePairInfo(IceCandidate Local, IceCandidate Remote, ulong Priority)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{IceCandidate.TypeName(Local.Type)} {Local.Address}:{Local.Port} <-> {IceCandidate.TypeName(Remote.Type)} {Remote.Address}:{Remote.Port}";
}

/// <summary>Sending on the selected pair while there is none, or after consent was lost (RFC 7675 §5.1).</summary>
public sealed class IceNotConnectedException : InvalidOperationException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public IceNotConnectedException() : base("ICE has no selected candidate pair with consent to send.") { }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public IceNotConnectedException(string message) : base(message) { }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public IceNotConnectedException(string message, Exception innerException) : base(message, innerException) { }
}
