using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Signaling.Codec;

/// <summary>Wire spellings of the protocol's enumerations.</summary>
internal static class WireNames
{
    /// <summary>Longest name <see cref="Intern"/> looks up; longer text is never one of them.</summary>
    public const int MaxInternedLength = 24;

    /// <summary>Field names, message types and signal kinds: what almost every decoded string is.</summary>
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "ack", "candidate", "code", "credential", "cseq", "data", "from", "heartbeatMs", "iceServers", "id",
        "idleTimeoutMs", "kind", "maxMessageBytes", "members", "message", "metadata", "name", "peer", "reason", "ref",
        "resumeToken", "resumeWindowMs", "resumed", "room", "sdp", "sdpMLineIndex", "sdpMid", "seq", "session",
        "through", "to", "type", "urls", "user", "username", "usernameFragment",
        "error", "expired", "join", "joined", "leave", "left", "peer-joined", "peer-left", "ping", "pong", "signal",
        "welcome", "offer", "answer", "end-of-candidates", "renegotiate", "hangup", "app", "0", "1",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> KnownLookup = Known.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The protocol's own instance of a known name, so decoding does not allocate a string for each one.</summary>
    public static string Intern(ReadOnlySpan<char> text) => KnownLookup.TryGetValue(text, out var known) ? known : text.ToString();

    public static string Of(SignalKind kind) => kind switch
    {
        SignalKind.Offer => "offer",
        SignalKind.Answer => "answer",
        SignalKind.Candidate => "candidate",
        SignalKind.EndOfCandidates => "end-of-candidates",
        SignalKind.Renegotiate => "renegotiate",
        SignalKind.Hangup => "hangup",
        SignalKind.App => "app",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static SignalKind? ParseKind(string text) => text switch
    {
        "offer" => SignalKind.Offer,
        "answer" => SignalKind.Answer,
        "candidate" => SignalKind.Candidate,
        "end-of-candidates" => SignalKind.EndOfCandidates,
        "renegotiate" => SignalKind.Renegotiate,
        "hangup" => SignalKind.Hangup,
        "app" => SignalKind.App,
        _ => null,
    };

    public static string Of(SignalingErrorCode code) => code switch
    {
        SignalingErrorCode.BadMessage => "bad_message",
        SignalingErrorCode.UnknownPeer => "unknown_peer",
        SignalingErrorCode.NotInRoom => "not_in_room",
        SignalingErrorCode.RoomFull => "room_full",
        SignalingErrorCode.Unauthorized => "unauthorized",
        SignalingErrorCode.RateLimited => "rate_limited",
        SignalingErrorCode.TooLarge => "too_large",
        SignalingErrorCode.LimitExceeded => "limit_exceeded",
        SignalingErrorCode.Unavailable => "unavailable",
        _ => throw new ArgumentOutOfRangeException(nameof(code)),
    };

    public static SignalingErrorCode? ParseErrorCode(string text) => text switch
    {
        "bad_message" => SignalingErrorCode.BadMessage,
        "unknown_peer" => SignalingErrorCode.UnknownPeer,
        "not_in_room" => SignalingErrorCode.NotInRoom,
        "room_full" => SignalingErrorCode.RoomFull,
        "unauthorized" => SignalingErrorCode.Unauthorized,
        "rate_limited" => SignalingErrorCode.RateLimited,
        "too_large" => SignalingErrorCode.TooLarge,
        "limit_exceeded" => SignalingErrorCode.LimitExceeded,
        "unavailable" => SignalingErrorCode.Unavailable,
        _ => null,
    };

    public static string Of(PeerLeftReason reason) => reason switch
    {
        PeerLeftReason.Left => "left",
        PeerLeftReason.Closed => "closed",
        PeerLeftReason.Expired => "expired",
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };

    public static PeerLeftReason? ParseReason(string text) => text switch
    {
        "left" => PeerLeftReason.Left,
        "closed" => PeerLeftReason.Closed,
        "expired" => PeerLeftReason.Expired,
        _ => null,
    };
}
