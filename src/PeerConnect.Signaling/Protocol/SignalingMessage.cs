namespace PeerConnect.Signaling.Protocol;

/// <summary>
/// One signaling message, in either direction. Each concrete type is one value of the wire field <c>type</c>;
/// docs/signaling-protocol.md lists them with every field.
/// </summary>
public abstract record SignalingMessage
{
    /// <summary>
    /// Server to client only: the session's sequence number. Sequenced messages advance it by one; <c>welcome</c>,
    /// <c>ping</c> and <c>pong</c> carry the latest value without advancing it. <see langword="null"/> on client messages.
    /// </summary>
    public long? Seq { get; init; }

    /// <summary>
    /// Client to server only, optional (wire field <c>cseq</c>): the client's own sequence number for <c>join</c>,
    /// <c>leave</c> and <c>signal</c>, 1, 2, 3, … per session. The server processes each number once and ignores a
    /// message whose number is not above the last one it processed, so a client may resend after a resume without
    /// duplicates. <see langword="null"/> on server messages and on clients that do not number their messages.
    /// </summary>
    public long? ClientSeq { get; init; }

    /// <summary>The wire value of <c>type</c> for this message.</summary>
    public abstract string Type { get; }

    /// <summary>
    /// Whether this message takes a sequence number of its own and is replayed on resume. Heartbeats and the
    /// greeting are per connection and are not.
    /// </summary>
    public virtual bool IsSequenced => true;
}
