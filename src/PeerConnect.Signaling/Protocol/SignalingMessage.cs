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

    /// <summary>The wire value of <c>type</c> for this message.</summary>
    public abstract string Type { get; }

    /// <summary>
    /// Whether this message takes a sequence number of its own and is replayed on resume. Heartbeats and the
    /// greeting are per connection and are not.
    /// </summary>
    public virtual bool IsSequenced => true;
}
