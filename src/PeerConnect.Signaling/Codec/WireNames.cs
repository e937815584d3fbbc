using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Signaling.Codec;

/// <summary>Wire spellings of the protocol's enumerations.</summary>
internal static class WireNames
{
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
