namespace PeerConnect.Signaling.Client;

/// <summary>Where a <see cref="SignalingClient"/> is in its life.</summary>
public enum SignalingClientState
{
    /// <summary>Not connected yet.</summary>
    Created,

    /// <summary>Connected and greeted.</summary>
    Connected,

    /// <summary>The connection dropped; reconnecting to resume the session.</summary>
    Reconnecting,

    /// <summary>Closed by <see cref="SignalingClient.CloseAsync"/>, by the server refusing the client, or without auto-reconnect.</summary>
    Closed,
}

/// <summary>Event data carrying one server message.</summary>
/// <typeparam name="TMessage">The message type.</typeparam>
/// <param name="message">The message.</param>
public sealed class SignalingMessageEventArgs<TMessage>(TMessage message) : EventArgs
    where TMessage : Protocol.SignalingMessage
{
    /// <summary>The message.</summary>
    public TMessage Message { get; } = message;
}

/// <summary>Event data for a completed reconnect.</summary>
/// <param name="resumed">Whether the session was resumed (same id, rooms kept, missed messages replayed).</param>
/// <param name="sessionId">The session id now in use.</param>
public sealed class SignalingReconnectedEventArgs(bool resumed, string sessionId) : EventArgs
{
    /// <summary>
    /// <see langword="true"/> when the server resumed the session; <see langword="false"/> when it started a new one
    /// (the resume window had passed) and the client joined its rooms again under a new id.
    /// </summary>
    public bool Resumed { get; } = resumed;

    /// <summary>The session id now in use.</summary>
    public string SessionId { get; } = sessionId;
}
