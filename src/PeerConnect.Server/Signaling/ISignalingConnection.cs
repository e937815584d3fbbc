using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Server.Signaling;

/// <summary>What the hub needs of a client connection: queue a frame, or close. Neither blocks the hub's loop.</summary>
internal interface ISignalingConnection
{
    /// <summary>Queues a message for the connection's writer; dropped silently once the connection is closing.</summary>
    /// <param name="message">The message.</param>
    /// <param name="seq">The number a held message goes out with; <see langword="null"/> for the message's own <c>seq</c>.</param>
    /// <param name="relayStart">When a relayed signal was received, for the relay latency metric; 0 for other messages.</param>
    void Send(SignalingMessage message, long? seq = null, long relayStart = 0);

    /// <summary>Sends a close frame after what is already queued, then ends the connection.</summary>
    void Close(int closeStatus, string reason);
}
