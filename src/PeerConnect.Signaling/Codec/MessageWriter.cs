using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Signaling.Codec;

/// <summary>Turns a message into its <see cref="WireMap"/>: <c>type</c> first, then <c>seq</c> and <c>cseq</c>, then the message's fields.</summary>
internal static class MessageWriter
{
    /// <param name="message">The message.</param>
    /// <param name="seq">What to write as <c>seq</c>: the message's own, or the number its holder gave it.</param>
    public static WireMap ToWire(SignalingMessage message, long? seq)
    {
        var map = WireMaps.Next().Add("type", message.Type).Add("seq", seq).Add("cseq", message.ClientSeq);
        switch (message)
        {
            case WelcomeMessage m:
                map.Add("session", m.SessionId)
                    .Add("resumeToken", m.ResumeToken)
                    .Add("resumed", m.Resumed)
                    .Add("ack", m.Ack)
                    .Add("heartbeatMs", m.HeartbeatMilliseconds)
                    .Add("idleTimeoutMs", m.IdleTimeoutMilliseconds)
                    .Add("resumeWindowMs", m.ResumeWindowMilliseconds)
                    .Add("maxMessageBytes", m.MaxMessageBytes)
                    .Add("iceServers", m.IceServers.Select(IceServer).ToList<object?>());
                break;
            case PingMessage m:
                map.Add("ack", m.Ack);
                break;
            case PongMessage m:
                map.Add("ack", m.Ack);
                break;
            case AckMessage m:
                map.Add("through", m.Through);
                break;
            case JoinMessage m:
                map.Add("id", m.Id).Add("room", m.Room).Add("name", m.Name).Add("metadata", Metadata(m.Metadata));
                break;
            case JoinedMessage m:
                map.Add("ref", m.Ref).Add("room", m.Room).Add("members", m.Members.Select(Peer).ToList<object?>());
                break;
            case LeaveMessage m:
                map.Add("id", m.Id).Add("room", m.Room);
                break;
            case LeftMessage m:
                map.Add("ref", m.Ref).Add("room", m.Room);
                break;
            case PeerJoinedMessage m:
                map.Add("room", m.Room).Add("peer", Peer(m.Peer));
                break;
            case PeerLeftMessage m:
                map.Add("room", m.Room).Add("peer", m.Peer).Add("reason", WireNames.Of(m.Reason));
                break;
            case SignalMessage m:
                map.Add("id", m.Id)
                    .Add("ack", m.Ack)
                    .Add("to", m.To)
                    .Add("from", m.From)
                    .Add("kind", WireNames.Of(m.Kind))
                    .Add("sdp", m.Sdp)
                    .Add("candidate", m.Candidate is null ? null : Candidate(m.Candidate))
                    .Add("data", m.Data)
                    .Add("reason", m.Reason);
                break;
            case ExpiredMessage m:
                map.Add("ref", m.Ref).Add("to", m.To).Add("kind", WireNames.Of(m.Kind));
                break;
            case ErrorMessage m:
                map.Add("ref", m.Ref).Add("code", WireNames.Of(m.Code)).Add("message", m.Message);
                break;
            default:
                throw new ArgumentException($"Unknown message type {message.GetType()}.", nameof(message));
        }

        return map;
    }

    private static WireMap IceServer(IceServerInfo server) => WireMaps.Next()
        .Add("urls", server.Urls.ToList<object?>())
        .Add("username", server.Username)
        .Add("credential", server.Credential);

    private static WireMap Peer(PeerInfo peer) => WireMaps.Next()
        .Add("id", peer.Id)
        .Add("user", peer.User)
        .Add("name", peer.Name)
        .Add("metadata", Metadata(peer.Metadata));

    private static WireMap Candidate(IceCandidateInit candidate) => WireMaps.Next()
        .Add("candidate", candidate.Candidate)
        .Add("sdpMid", candidate.SdpMid)
        .Add("sdpMLineIndex", (long?)candidate.SdpMLineIndex)
        .Add("usernameFragment", candidate.UsernameFragment);

    private static WireMap? Metadata(IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            return null;
        }

        var map = WireMaps.Next();
        foreach (var entry in metadata)
        {
            map.Add(entry.Key, entry.Value);
        }

        return map;
    }
}
