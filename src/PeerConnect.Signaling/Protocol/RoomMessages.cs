namespace PeerConnect.Signaling.Protocol;

/// <summary>A room member as other members see it.</summary>
/// <param name="Id">The member's session id (address signals to it).</param>
/// <param name="User">Authenticated user id (the token's subject; the session id for anonymous users).</param>
/// <param name="Name">Display name given at join, if any.</param>
/// <param name="Metadata">Application metadata given at join, if any.</param>
public sealed record PeerInfo(
    string Id,
    string User,
    string? Name = null,
    IReadOnlyDictionary<string, string>? Metadata = null);

/// <summary>Client request to join a room (<c>join</c>); answered by <see cref="JoinedMessage"/> or an error.</summary>
/// <param name="Room">Room id: 1–128 characters from <c>A–Z a–z 0–9 - _ . ~ :</c>.</param>
/// <param name="Name">Optional display name, at most 128 characters.</param>
/// <param name="Metadata">Optional string map shown to other members, at most 16 entries.</param>
public sealed record JoinMessage(
    string Room,
    string? Name = null,
    IReadOnlyDictionary<string, string>? Metadata = null) : SignalingMessage
{
    /// <summary>Optional request id, echoed as <c>ref</c> in the answer.</summary>
    public long? Id { get; init; }

    /// <inheritdoc />
    public override string Type => "join";
}

/// <summary>Answer to <see cref="JoinMessage"/> (<c>joined</c>): the other members already in the room.</summary>
/// <param name="Room">The room joined.</param>
/// <param name="Members">Members other than the joiner, in join order.</param>
public sealed record JoinedMessage(string Room, IReadOnlyList<PeerInfo> Members) : SignalingMessage
{
    /// <summary>The <c>id</c> of the request this answers.</summary>
    public long? Ref { get; init; }

    /// <inheritdoc />
    public override string Type => "joined";
}

/// <summary>Client request to leave a room (<c>leave</c>); answered by <see cref="LeftMessage"/> or an error.</summary>
/// <param name="Room">The room to leave.</param>
public sealed record LeaveMessage(string Room) : SignalingMessage
{
    /// <summary>Optional request id, echoed as <c>ref</c> in the answer.</summary>
    public long? Id { get; init; }

    /// <inheritdoc />
    public override string Type => "leave";
}

/// <summary>Answer to <see cref="LeaveMessage"/> (<c>left</c>).</summary>
/// <param name="Room">The room left.</param>
public sealed record LeftMessage(string Room) : SignalingMessage
{
    /// <summary>The <c>id</c> of the request this answers.</summary>
    public long? Ref { get; init; }

    /// <inheritdoc />
    public override string Type => "left";
}

/// <summary>Event (<c>peer-joined</c>): someone joined a room this session is in.</summary>
/// <param name="Room">The room.</param>
/// <param name="Peer">The new member.</param>
public sealed record PeerJoinedMessage(string Room, PeerInfo Peer) : SignalingMessage
{
    /// <inheritdoc />
    public override string Type => "peer-joined";
}

/// <summary>Why a member left a room.</summary>
public enum PeerLeftReason
{
    /// <summary>The member sent <c>leave</c> (wire: <c>left</c>).</summary>
    Left,

    /// <summary>The member closed its connection normally (wire: <c>closed</c>).</summary>
    Closed,

    /// <summary>The member's connection dropped and it did not resume within the window (wire: <c>expired</c>).</summary>
    Expired,
}

/// <summary>Event (<c>peer-left</c>): a member left a room this session is in.</summary>
/// <param name="Room">The room.</param>
/// <param name="Peer">The member's session id.</param>
/// <param name="Reason">Why it left.</param>
public sealed record PeerLeftMessage(string Room, string Peer, PeerLeftReason Reason) : SignalingMessage
{
    /// <inheritdoc />
    public override string Type => "peer-left";
}
