using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Signaling.Codec;

/// <summary>
/// Turns a decoded <see cref="WireMap"/> into a message, checking every field's type and bound. Fields a message
/// type does not define are ignored so that later minor versions can add some.
/// </summary>
internal static class MessageReader
{
    public static SignalingMessage FromWire(WireMap map)
    {
        long? requestId = map.TryGet("id", out var id) && id is long number ? number : null;
        var f = new WireFields(map, requestId);
        var type = f.RequiredString("type", 32);
        var seq = f.OptionalLong("seq");
        var clientSeq = f.OptionalLong("cseq", 1);
        SignalingMessage message = type switch
        {
            "welcome" => new WelcomeMessage(
                f.RequiredString("session", WireFields.MaxIdLength),
                f.RequiredString("resumeToken", 256),
                f.RequiredBool("resumed"),
                f.RequiredLong("heartbeatMs"),
                f.RequiredLong("idleTimeoutMs"),
                f.RequiredLong("resumeWindowMs"),
                f.RequiredLong("maxMessageBytes"),
                f.RequiredMapList("iceServers").Select(IceServer).ToList()) { Ack = f.OptionalLong("ack") },
            "ping" => new PingMessage(f.OptionalLong("ack")),
            "pong" => new PongMessage(f.OptionalLong("ack")),
            "ack" => new AckMessage(f.RequiredLong("through")),
            "join" => new JoinMessage(
                f.RequiredRoom("room"),
                f.OptionalString("name", WireFields.MaxNameLength),
                f.OptionalMetadata("metadata")) { Id = f.OptionalLong("id") },
            "joined" => new JoinedMessage(f.RequiredRoom("room"), f.RequiredMapList("members").Select(Peer).ToList())
            {
                Ref = f.OptionalLong("ref"),
            },
            "leave" => new LeaveMessage(f.RequiredRoom("room")) { Id = f.OptionalLong("id") },
            "left" => new LeftMessage(f.RequiredRoom("room")) { Ref = f.OptionalLong("ref") },
            "peer-joined" => new PeerJoinedMessage(f.RequiredRoom("room"), Peer(f.RequiredMap("peer"))),
            "peer-left" => new PeerLeftMessage(
                f.RequiredRoom("room"),
                f.RequiredString("peer", WireFields.MaxIdLength),
                WireNames.ParseReason(f.RequiredString("reason", 32)) ?? throw f.Fail("Unknown peer-left reason.")),
            "signal" => Signal(f),
            "expired" => new ExpiredMessage(f.RequiredString("to", WireFields.MaxIdLength), Kind(f)) { Ref = f.OptionalLong("ref") },
            "error" => new ErrorMessage(
                WireNames.ParseErrorCode(f.RequiredString("code", 32)) ?? throw f.Fail("Unknown error code."),
                f.OptionalString("message") ?? "") { Ref = f.OptionalLong("ref") },
            _ => throw f.Fail($"Unknown message type '{type}'."),
        };
        // Most messages carry neither (pongs, acknowledgements, clients that do not number theirs): no copy for them.
        return seq is null && clientSeq is null ? message : message with { Seq = seq, ClientSeq = clientSeq };
    }

    private static SignalMessage Signal(WireFields f)
    {
        var kind = Kind(f);
        var candidate = f.OptionalMap("candidate");
        var signal = new SignalMessage(kind)
        {
            Id = f.OptionalLong("id"),
            Ack = f.OptionalLong("ack"),
            To = f.OptionalString("to", WireFields.MaxIdLength),
            From = f.OptionalString("from", WireFields.MaxIdLength),
            Sdp = f.OptionalString("sdp"),
            Candidate = candidate is null ? null : Candidate(candidate.Value),
            Data = f.OptionalString("data"),
            Reason = f.OptionalString("reason", 256),
        };
        switch (kind)
        {
            case SignalKind.Offer or SignalKind.Answer when signal.Sdp is null:
                throw f.Fail($"A {WireNames.Of(kind)} needs 'sdp'.");
            case SignalKind.Candidate when signal.Candidate is null:
                throw f.Fail("A candidate signal needs 'candidate'.");
            case SignalKind.App when signal.Data is null:
                throw f.Fail("An app signal needs 'data'.");
            default:
                return signal;
        }
    }

    private static SignalKind Kind(WireFields f) =>
        WireNames.ParseKind(f.RequiredString("kind", 32)) ?? throw f.Fail("Unknown signal kind.");

    private static IceCandidateInit Candidate(WireFields f) => new(
        f.RequiredString("candidate", 1024),
        f.OptionalString("sdpMid", 256),
        (int?)f.OptionalLong("sdpMLineIndex", 0, ushort.MaxValue),
        f.OptionalString("usernameFragment", 256));

    private static IceServerInfo IceServer(WireFields f) => new(
        f.RequiredStringList("urls"),
        f.OptionalString("username"),
        f.OptionalString("credential"));

    private static PeerInfo Peer(WireFields f) => new(
        f.RequiredString("id", WireFields.MaxIdLength),
        f.RequiredString("user", 256),
        f.OptionalString("name", WireFields.MaxNameLength),
        f.OptionalMetadata("metadata"));
}
