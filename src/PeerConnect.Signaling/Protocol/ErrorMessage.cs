namespace PeerConnect.Signaling.Protocol;

/// <summary>Machine-readable error codes carried by <see cref="ErrorMessage"/>.</summary>
public enum SignalingErrorCode
{
    /// <summary>Malformed, unknown or invalid message (wire: <c>bad_message</c>). The connection stays up.</summary>
    BadMessage,

    /// <summary>The addressed peer has no session (wire: <c>unknown_peer</c>).</summary>
    UnknownPeer,

    /// <summary>Sender and receiver share no room, or the sender is not in the room named (wire: <c>not_in_room</c>).</summary>
    NotInRoom,

    /// <summary>The room has its maximum number of members (wire: <c>room_full</c>).</summary>
    RoomFull,

    /// <summary>Missing, invalid or expired token, or a room the token does not allow (wire: <c>unauthorized</c>).</summary>
    Unauthorized,

    /// <summary>The connection sent faster than its rate limit; the message was dropped (wire: <c>rate_limited</c>).</summary>
    RateLimited,

    /// <summary>The message exceeded the size limit and was dropped (wire: <c>too_large</c>).</summary>
    TooLarge,

    /// <summary>A server limit on connections or rooms was reached (wire: <c>limit_exceeded</c>).</summary>
    LimitExceeded,

    /// <summary>
    /// The server cannot reach the state it shares with other servers, so it cannot admit the request now; try again
    /// later (wire: <c>unavailable</c>).
    /// </summary>
    Unavailable,
}

/// <summary>Error (<c>error</c>), either answering a client message or before the server closes the connection.</summary>
/// <param name="Code">What went wrong.</param>
/// <param name="Message">Human-readable detail; not meant to be parsed.</param>
public sealed record ErrorMessage(SignalingErrorCode Code, string Message) : SignalingMessage
{
    /// <summary>The <c>id</c> of the client message this answers, when it had one.</summary>
    public long? Ref { get; init; }

    /// <inheritdoc />
    public override string Type => "error";
}

/// <summary>WebSocket close status codes the server uses (RFC 6455 section 7.4; 4000–4999 are private use).</summary>
public static class SignalingCloseCodes
{
    /// <summary>Normal closure. Sent by a client, the session ends at once and peers see <c>peer-left</c> (<c>closed</c>).</summary>
    public const int Normal = 1000;

    /// <summary>Going away: the server is shutting down; from a client, treated like <see cref="Normal"/>.</summary>
    public const int GoingAway = 1001;

    /// <summary>A single message grew past four times the size limit; the server stopped reading it.</summary>
    public const int MessageTooBig = 1009;

    /// <summary>The server has its maximum number of connections; try again later.</summary>
    public const int TryAgainLater = 1013;

    /// <summary>Missing, invalid or expired token.</summary>
    public const int Unauthorized = 4001;

    /// <summary>No frame from the client within the idle timeout; the session can be resumed.</summary>
    public const int IdleTimeout = 4008;

    /// <summary>A newer connection resumed this session.</summary>
    public const int Replaced = 4009;

    /// <summary>The client kept sending after being rate limited.</summary>
    public const int RateLimited = 4029;

    /// <summary>Too many messages went unacknowledged; the session can be resumed.</summary>
    public const int Backlog = 4030;
}
