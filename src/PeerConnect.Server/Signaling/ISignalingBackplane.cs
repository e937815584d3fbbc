using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Server.Signaling;

/// <summary>
/// A message on its way to a session that may live on another server. The hub publishes every message meant for
/// another session through the backplane and takes in deliveries for its own sessions from it.
/// </summary>
/// <param name="TargetSessionId">Session to deliver to.</param>
/// <param name="Message">What to deliver; the receiving hub gives it the session's next sequence number.</param>
/// <param name="SenderSessionId">For relayed signals, who sent it (told if it expires undelivered).</param>
/// <param name="SenderRef">For relayed signals, the sender's request id.</param>
/// <param name="RelayStart">When the server read the signal (<see cref="TimeProvider.GetTimestamp"/>), for the relay latency histogram.</param>
internal sealed record SignalingDelivery(
    string TargetSessionId,
    SignalingMessage Message,
    string? SenderSessionId = null,
    long? SenderRef = null,
    long RelayStart = 0);

/// <summary>
/// Delivery between hubs. The in-memory implementation serves one process; a Redis implementation replaces it to
/// route deliveries to whichever server holds the target session. Room membership is not part of this seam yet.
/// </summary>
internal interface ISignalingBackplane
{
    ValueTask PublishAsync(SignalingDelivery delivery, CancellationToken cancellationToken);

    /// <summary>Registers the local hub's handler for deliveries; disposing the result unregisters it.</summary>
    IDisposable Subscribe(Func<SignalingDelivery, ValueTask> handler);
}
