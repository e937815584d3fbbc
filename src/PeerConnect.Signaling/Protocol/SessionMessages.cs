namespace PeerConnect.Signaling.Protocol;

/// <summary>One entry of an ICE server list, shaped like the W3C <c>RTCIceServer</c> dictionary.</summary>
/// <param name="Urls">STUN or TURN URLs (<c>stun:host:3478</c>, <c>turn:host:3478?transport=udp</c>, <c>turns:</c>…).</param>
/// <param name="Username">TURN username; for REST credentials <c>expiry-unix-time:user-id</c>.</param>
/// <param name="Credential">TURN password; for REST credentials base64(HMAC-SHA1(secret, username)).</param>
public sealed record IceServerInfo(IReadOnlyList<string> Urls, string? Username = null, string? Credential = null);

/// <summary>Server greeting, the first message on every connection (<c>welcome</c>).</summary>
/// <param name="SessionId">This session's peer id, the one other members address signals to.</param>
/// <param name="ResumeToken">Secret to present when reconnecting to resume this session; replaced on every greeting.</param>
/// <param name="Resumed">Whether this connection resumed an earlier session (keeping id, rooms and held messages).</param>
/// <param name="HeartbeatMilliseconds">How often each side sends <c>ping</c>.</param>
/// <param name="IdleTimeoutMilliseconds">After this long without a frame from the client the server closes the connection.</param>
/// <param name="ResumeWindowMilliseconds">How long a dropped session waits to be resumed.</param>
/// <param name="MaxMessageBytes">Largest client message the server accepts.</param>
/// <param name="IceServers">ICE servers for this user, TURN entries with short-lived credentials.</param>
public sealed record WelcomeMessage(
    string SessionId,
    string ResumeToken,
    bool Resumed,
    long HeartbeatMilliseconds,
    long IdleTimeoutMilliseconds,
    long ResumeWindowMilliseconds,
    long MaxMessageBytes,
    IReadOnlyList<IceServerInfo> IceServers) : SignalingMessage
{
    /// <summary>
    /// Wire field <c>ack</c>: the highest client sequence number (<see cref="SignalingMessage.ClientSeq"/>) the session
    /// has processed; the client resends what it sent after that. <see langword="null"/> (absent) means 0.
    /// </summary>
    public long? Ack { get; init; }

    /// <inheritdoc />
    public override string Type => "welcome";

    /// <inheritdoc />
    public override bool IsSequenced => false;
}

/// <summary>Heartbeat (<c>ping</c>), sent by both sides; the other answers <c>pong</c>.</summary>
/// <param name="Ack">Client to server: the highest sequence number received so far (same meaning as <see cref="AckMessage"/>).</param>
public sealed record PingMessage(long? Ack = null) : SignalingMessage
{
    /// <inheritdoc />
    public override string Type => "ping";

    /// <inheritdoc />
    public override bool IsSequenced => false;
}

/// <summary>Heartbeat answer (<c>pong</c>).</summary>
/// <param name="Ack">
/// Client to server: the highest sequence number received so far. Server to client: the highest client sequence
/// number (<see cref="SignalingMessage.ClientSeq"/>) processed so far, absent while it is 0.
/// </param>
public sealed record PongMessage(long? Ack = null) : SignalingMessage
{
    /// <inheritdoc />
    public override string Type => "pong";

    /// <inheritdoc />
    public override bool IsSequenced => false;
}

/// <summary>
/// Client acknowledgement (<c>ack</c>): every sequenced message up to <paramref name="Through"/> arrived, so the
/// server may forget it. Unacknowledged messages are what a resume replays.
/// </summary>
/// <param name="Through">Highest sequence number received.</param>
public sealed record AckMessage(long Through) : SignalingMessage
{
    /// <inheritdoc />
    public override string Type => "ack";
}
