using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Server.Signaling;

/// <summary>A sequenced message kept until the client acknowledges it, with what an expiry notice needs.</summary>
internal sealed record HeldMessage(SignalingMessage Message, string? SenderSessionId, long? SenderRef, long RelayStart);

/// <summary>
/// One peer's state. Owned by <see cref="SignalingHub"/>'s loop: nothing else reads or writes it, so it has no locks.
/// It outlives its connection for the resume window.
/// </summary>
internal sealed class SignalingSession(string id, string userId, SignalingPrincipal principal)
{
    // Null while nothing is held: a session whose client has acknowledged everything (after a heartbeat's pong at the
    // latest) keeps no queue, which is most of them on a server full of idle connections.
    private Queue<HeldMessage>? _unacked;

    public string Id { get; } = id;

    public string UserId { get; } = userId;

    public SignalingPrincipal Principal { get; } = principal;

    public required string ResumeToken { get; set; }

    /// <summary>The live connection, or <see langword="null"/> while waiting for a resume.</summary>
    public ISignalingConnection? Connection { get; set; }

    /// <summary>Counts connection losses, so a late expiry from an earlier absence is told apart from the current one.</summary>
    public long AwayGeneration { get; set; }

    /// <summary>Fires the end of the resume window while the session is away.</summary>
    public ITimer? ExpiryTimer { get; set; }

    /// <summary>The last sequence number given out.</summary>
    public long LastSeq { get; private set; }

    /// <summary>Everything up to here was acknowledged and forgotten.</summary>
    public long Acked { get; private set; }

    /// <summary>
    /// The highest client sequence number (<c>cseq</c>) processed; a <c>join</c>, <c>leave</c> or <c>signal</c> numbered
    /// at or below it is a resend of something already done and is ignored. 0 until the client numbers a message.
    /// </summary>
    public long ClientSeq { get; set; }

    /// <summary>Rooms the session is in, with how it appears in each (a shared backplane writes these back after an outage).</summary>
    public SessionRooms Rooms { get; } = new();

    public int UnackedCount => _unacked?.Count ?? 0;

    public IEnumerable<HeldMessage> Unacked => _unacked ?? Enumerable.Empty<HeldMessage>();

    /// <summary>
    /// Gives the message the next sequence number, or keeps the one a shared backplane gave it (which may skip
    /// numbers it already handed out while this server could not see them), and holds it until acknowledged.
    /// </summary>
    public HeldMessage Hold(SignalingMessage message, string? senderSessionId, long? senderRef, long relayStart, long? seq = null)
    {
        LastSeq = seq ?? LastSeq + 1;
        var held = new HeldMessage(message with { Seq = LastSeq }, senderSessionId, senderRef, relayStart);
        (_unacked ??= new()).Enqueue(held);
        return held;
    }

    /// <summary>Takes on the numbering and held messages of a session taken over from another server.</summary>
    public void Restore(long lastSeq, IEnumerable<HeldMessage> held)
    {
        foreach (var message in held)
        {
            (_unacked ??= new()).Enqueue(message);
        }

        LastSeq = lastSeq;
        Acked = _unacked is not null && _unacked.TryPeek(out var oldest) ? oldest.Message.Seq!.Value - 1 : lastSeq;
    }

    /// <summary>Forgets messages up to <paramref name="through"/>; values past the last sequence number are clamped.</summary>
    public void Acknowledge(long through)
    {
        through = Math.Min(through, LastSeq);
        while (_unacked is not null && _unacked.TryPeek(out var oldest) && oldest.Message.Seq <= through)
        {
            _unacked.Dequeue();
        }

        if (_unacked?.Count == 0)
        {
            _unacked = null;
        }

        Acked = Math.Max(Acked, through);
    }
}
