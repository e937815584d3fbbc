using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Server.Signaling;

/// <summary>What the hub needs of a client connection: queue a frame, or close. Neither blocks the hub's loop.</summary>
internal interface ISignalingConnection
{
    /// <summary>Queues a message for the connection's writer; dropped silently once the connection is closing.</summary>
    void Send(SignalingMessage message, long relayStart = 0);

    /// <summary>Sends a close frame after what is already queued, then ends the connection.</summary>
    void Close(int closeStatus, string reason);
}
