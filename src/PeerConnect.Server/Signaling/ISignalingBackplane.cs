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
/// <param name="Seq">
/// The sequence number a shared backplane already gave the message; <see langword="null"/> when the receiving hub
/// numbers it.
/// </param>
internal sealed record SignalingDelivery(
    string TargetSessionId,
    SignalingMessage Message,
    string? SenderSessionId = null,
    long? SenderRef = null,
    long RelayStart = 0,
    long? Seq = null);

/// <summary>
/// Delivery between hubs. The in-memory implementation serves one process; <see cref="ISharedSignalingBackplane"/>
/// extends it for servers that share sessions and rooms.
/// </summary>
internal interface ISignalingBackplane
{
    ValueTask PublishAsync(SignalingDelivery delivery, CancellationToken cancellationToken);

    /// <summary>
    /// Registers the local hub: the backplane hands it deliveries and its own events as commands for the hub's loop.
    /// Disposing the result unregisters it.
    /// </summary>
    IDisposable Subscribe(Action<HubCommand> post);
}

/// <summary>
/// A backplane shared by several servers. It holds what every server must agree on — which server holds a session,
/// its sequence numbers and unacknowledged messages, and room membership — so any server can route to a session,
/// take over one whose connection moved, and adopt the sessions of a server that died.
/// </summary>
/// <remarks>
/// Only the hub's loop calls it. Methods without a result are fire-and-forget and keep their call order; a refusal
/// they discover comes back to the hub as a command.
/// </remarks>
internal interface ISharedSignalingBackplane : ISignalingBackplane
{
    /// <summary>False while the shared store is unreachable; the hub then serves only its local sessions.</summary>
    bool IsAvailable { get; }

    /// <summary>Records a new session as held by this server.</summary>
    void Register(SignalingSession session);

    /// <summary>Records a resumed session's new token.</summary>
    void RotateToken(SignalingSession session, string previousToken);

    /// <summary>Forgets what the session's client has acknowledged.</summary>
    void Acknowledge(string sessionId, long through);

    /// <summary>
    /// Records the highest client sequence number (<c>cseq</c>) the session has processed, so a server that takes the
    /// session over ignores the client's resends of what was already done here.
    /// </summary>
    void RecordClientSeq(string sessionId, long clientSeq);

    /// <summary>
    /// Numbers and stores a message for a session wherever it is held, then delivers it to that server as a
    /// <see cref="DeliverCommand"/>. With <paramref name="senderRooms"/>, it is a relayed signal: it goes only to a
    /// session sharing one of those rooms, and a refusal comes back as a <see cref="RelayRefusedCommand"/>.
    /// Routes are batched until <see cref="Flush"/> or the next other call, so call order is kept.
    /// </summary>
    void Route(SignalingDelivery delivery, SessionRooms? senderRooms = null);

    /// <summary>
    /// Sends the routes batched so far, or has them sent as soon as the store can take them; the hub calls it each
    /// time it has emptied its queue.
    /// </summary>
    void Flush();

    /// <summary>Adds the member to the room; the members already there, or why it cannot join.</summary>
    ValueTask<RoomJoinResult> JoinRoomAsync(string roomId, PeerInfo member, int maxMembers, int maxRooms);

    /// <summary>Removes the member from the room; the ids of those still in it.</summary>
    ValueTask<IReadOnlyList<string>> LeaveRoomAsync(string roomId, string sessionId);

    /// <summary>Takes over the session holding <paramref name="resumeToken"/> for this server, if it exists and belongs to the user.</summary>
    ValueTask<SharedSessionState?> ClaimAsync(string resumeToken, string? principalUserId);

    /// <summary>Takes over a session of a server that died, unless another server already took it.</summary>
    ValueTask<SharedSessionState?> AdoptAsync(string sessionId, string deadServer);

    /// <summary>Held messages of a session numbered from <paramref name="after"/> + 1 to <paramref name="through"/>.</summary>
    ValueTask<IReadOnlyList<HeldMessage>> ReadHeldAsync(string sessionId, long after, long through);

    /// <summary>Deletes an ended session (after it left its rooms).</summary>
    void End(SignalingSession session);

    /// <summary>Writes the local sessions back after the store was unreachable (it may have restarted empty).</summary>
    ValueTask ResyncAsync(IReadOnlyCollection<SignalingSession> sessions);

    /// <summary>Extends the expiry of the keys of sessions this server holds.</summary>
    void KeepAlive(IReadOnlyCollection<SignalingSession> sessions);
}

/// <summary>The answer to a join through a shared backplane.</summary>
/// <param name="Error">Why the member cannot join (<see cref="SignalingErrorCode.RoomFull"/> or <see cref="SignalingErrorCode.LimitExceeded"/>), or null.</param>
/// <param name="AlreadyMember">The member was in the room already.</param>
/// <param name="Others">The other members, in join order.</param>
internal sealed record RoomJoinResult(SignalingErrorCode? Error, bool AlreadyMember, IReadOnlyList<PeerInfo> Others);

/// <summary>A session as the shared store keeps it, handed to the server taking it over.</summary>
internal sealed record SharedSessionState(
    string Id,
    string UserId,
    SignalingPrincipal Principal,
    string ResumeToken,
    long LastSeq,
    IReadOnlyDictionary<string, PeerInfo> Rooms,
    IReadOnlyList<HeldMessage> Held,
    long ClientSeq);

/// <summary>The shared store could not be reached for an operation that needs it.</summary>
internal sealed class SignalingBackplaneUnavailableException(string message, Exception? innerException = null)
    : Exception(message, innerException);
