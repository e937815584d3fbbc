namespace PeerConnect.Signaling.Protocol;

/// <summary>What a relayed signal carries.</summary>
public enum SignalKind
{
    /// <summary>SDP offer (wire: <c>offer</c>); <c>sdp</c> required.</summary>
    Offer,

    /// <summary>SDP answer (wire: <c>answer</c>); <c>sdp</c> required.</summary>
    Answer,

    /// <summary>Trickled ICE candidate (wire: <c>candidate</c>); <c>candidate</c> required.</summary>
    Candidate,

    /// <summary>No more candidates (wire: <c>end-of-candidates</c>).</summary>
    EndOfCandidates,

    /// <summary>Request that the receiver start a new offer/answer exchange (wire: <c>renegotiate</c>).</summary>
    Renegotiate,

    /// <summary>The call is over (wire: <c>hangup</c>); <c>reason</c> optional.</summary>
    Hangup,

    /// <summary>Small application payload (wire: <c>app</c>); <c>data</c> required.</summary>
    App,
}

/// <summary>An ICE candidate, shaped like the W3C <c>RTCIceCandidateInit</c> dictionary.</summary>
/// <param name="Candidate">The <c>candidate:</c> attribute value (RFC 8839 section 5.1).</param>
/// <param name="SdpMid">Media stream identification tag the candidate belongs to.</param>
/// <param name="SdpMLineIndex">Index of the m-line the candidate belongs to.</param>
/// <param name="UsernameFragment">ICE ufrag of the generation the candidate belongs to.</param>
public sealed record IceCandidateInit(
    string Candidate,
    string? SdpMid = null,
    int? SdpMLineIndex = null,
    string? UsernameFragment = null);

/// <summary>
/// A signal relayed to one peer (<c>signal</c>). A client sets <see cref="To"/>; the server delivers it with
/// <see cref="From"/> stamped from the sender's session, and refuses a client message that sets <c>from</c>.
/// </summary>
/// <param name="Kind">What it carries.</param>
public sealed record SignalMessage(SignalKind Kind) : SignalingMessage
{
    /// <summary>Client to server: the receiving peer's session id.</summary>
    public string? To { get; init; }

    /// <summary>Server to client: the sending peer's session id.</summary>
    public string? From { get; init; }

    /// <summary>Client to server: optional request id, echoed as <c>ref</c> in errors and expiry notices.</summary>
    public long? Id { get; init; }

    /// <summary>
    /// Client to server: an acknowledgement riding on the signal, the highest <c>seq</c> received so far (same meaning
    /// as <see cref="AckMessage"/>). Lets a client that signals anyway release what the server holds for it without
    /// an <c>ack</c> message of its own. The server does not relay it.
    /// </summary>
    public long? Ack { get; init; }

    /// <summary>SDP for <see cref="SignalKind.Offer"/> and <see cref="SignalKind.Answer"/>.</summary>
    public string? Sdp { get; init; }

    /// <summary>Candidate for <see cref="SignalKind.Candidate"/>.</summary>
    public IceCandidateInit? Candidate { get; init; }

    /// <summary>Application payload for <see cref="SignalKind.App"/>.</summary>
    public string? Data { get; init; }

    /// <summary>Optional human-readable reason for <see cref="SignalKind.Hangup"/>.</summary>
    public string? Reason { get; init; }

    /// <inheritdoc />
    public override string Type => "signal";
}

/// <summary>
/// Notice (<c>expired</c>) that a signal this session sent was never acknowledged by its receiver, whose
/// connection dropped and who did not resume within the window (or whose held messages overflowed).
/// </summary>
/// <param name="To">The peer the signal was addressed to.</param>
/// <param name="Kind">The kind of the expired signal.</param>
public sealed record ExpiredMessage(string To, SignalKind Kind) : SignalingMessage
{
    /// <summary>The <c>id</c> the sender gave the signal, if any.</summary>
    public long? Ref { get; init; }

    /// <inheritdoc />
    public override string Type => "expired";
}
