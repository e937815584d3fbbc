using System.Net;
using PeerConnect.Stun;

namespace PeerConnect.Ice.Checks;

/// <summary>
/// The STUN messages ICE sends (RFC 8445 §7.1.1, §7.3.1; RFC 7675 §5.1 uses the same request). A check request:
/// <code>
/// Binding request
///   USERNAME            "remote-ufrag:local-ufrag"            (RFC 8445 §7.2.2)
///   PRIORITY            prflx priority of the local candidate (RFC 8445 §7.1.1, §16.1: 32-bit)
///   ICE-CONTROLLING     or ICE-CONTROLLED, 64-bit tie-breaker (RFC 8445 §7.1.3, §16.1)
///   USE-CANDIDATE       only when nominating                  (RFC 8445 §7.1.2, §16.1: no value)
///   MESSAGE-INTEGRITY   HMAC-SHA1 keyed with the remote ice-pwd (RFC 8445 §7.2.2)
///   FINGERPRINT                                               (RFC 8445 §7.2.2: mandatory)
/// </code>
/// </summary>
internal static class IceStunMessages
{
    public const int MaxLength = 512;

    public static int WriteCheck(Span<byte> destination, TransactionId id, string username, uint priority, IceRole role, ulong tieBreaker, bool useCandidate, ReadOnlySpan<byte> key)
    {
        var w = new StunMessageWriter(destination, StunMessageType.BindingRequest, id);
        w.WriteString(StunAttributeType.Username, username);
        w.WriteUInt32(StunAttributeType.Priority, priority);
        w.WriteUInt64(role == IceRole.Controlling ? StunAttributeType.IceControlling : StunAttributeType.IceControlled, tieBreaker);
        if (useCandidate)
        {
            w.WriteFlag(StunAttributeType.UseCandidate);
        }

        w.WriteMessageIntegrity(key);
        w.WriteFingerprint();
        return w.Length;
    }

    /// <summary>A success response (RFC 8445 §7.3.1.2): XOR-MAPPED-ADDRESS of the request's source, integrity with the local ice-pwd.</summary>
    public static int WriteSuccess(Span<byte> destination, TransactionId id, IPEndPoint source, ReadOnlySpan<byte> key)
    {
        var w = new StunMessageWriter(destination, StunMessageType.BindingSuccess, id);
        w.WriteXorAddress(StunAttributeType.XorMappedAddress, source);
        w.WriteMessageIntegrity(key);
        w.WriteFingerprint();
        return w.Length;
    }

    /// <summary>An error response; authenticated when the request was (RFC 8489 §9.1.3 leaves 400/401 unauthenticated).</summary>
    public static int WriteError(Span<byte> destination, TransactionId id, int code, ReadOnlySpan<byte> key)
    {
        var w = new StunMessageWriter(destination, StunMessageType.BindingError, id);
        w.WriteErrorCode(code, StunErrorCodes.ReasonPhrase(code));
        if (!key.IsEmpty)
        {
            w.WriteMessageIntegrity(key);
        }

        w.WriteFingerprint();
        return w.Length;
    }

    /// <summary>A plain Binding request to a STUN server for a server-reflexive candidate (RFC 8445 §5.1.1.2).</summary>
    public static int WriteServerBinding(Span<byte> destination, TransactionId id)
    {
        var w = new StunMessageWriter(destination, StunMessageType.BindingRequest, id);
        w.WriteFingerprint();
        return w.Length;
    }
}
