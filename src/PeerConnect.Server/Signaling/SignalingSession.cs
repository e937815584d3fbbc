using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Server.Signaling;

/// <summary>
/// A sequenced message kept until the client acknowledges it, with what an expiry notice needs. The number is kept
/// beside the message and written into the frame as it is sent: a numbered copy of every relayed message was an eighth
/// of what the server allocated per signal.
/// </summary>
internal sealed class HeldMessage(SignalingMessage message, long seq, string? senderSessionId, long? senderRef, long relayStart)
{
    public SignalingMessage Message { get; } = message;

    public long Seq { get; } = seq;

    public string? SenderSessionId { get; } = senderSessionId;

    public long? SenderRef { get; } = senderRef;

    public long RelayStart { get; } = relayStart;

    /// <summary>The next newer message the same session holds: the session's held messages are a list through these.</summary>
    public HeldMessage? Newer { get; set; }
}

/// <summary>
/// One peer's state. Owned by <see cref="SignalingHub"/>'s loop: nothing else reads or writes it, so it has no locks.
/// It outlives its connection for the resume window.
/// </summary>
internal sealed class SignalingSession(string id, string userId, SignalingPrincipal principal)
{
    // The held messages, oldest first, linked through HeldMessage.Newer: a session that holds nothing (every idle one,
    // after a heartbeat's pong at the latest) keeps no collection, and holding or forgetting allocates nothing.
    private HeldMessage? _oldest;
    private HeldMessage? _newest;

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

    public int UnackedCount { get; private set; }

    public IEnumerable<HeldMessage> Unacked
    {
        get
        {
            for (var held = _oldest; held is not null; held = held.Newer)
            {
                yield return held;
            }
        }
    }

    /// <summary>
    /// Gives the message the next sequence number, or keeps the one a shared backplane gave it (which may skip
    /// numbers it already handed out while this server could not see them), and holds it until acknowledged.
    /// </summary>
    public HeldMessage Hold(SignalingMessage message, string? senderSessionId, long? senderRef, long relayStart, long? seq = null)
    {
        LastSeq = seq ?? LastSeq + 1;
        var held = new HeldMessage(message, LastSeq, senderSessionId, senderRef, relayStart);
        Append(held);
        return held;
    }

    /// <summary>Takes on the numbering and held messages of a session taken over from another server.</summary>
    public void Restore(long lastSeq, IEnumerable<HeldMessage> held)
    {
        foreach (var message in held)
        {
            Append(message);
        }

        LastSeq = lastSeq;
        Acked = _oldest is { } oldest ? oldest.Seq - 1 : lastSeq;
    }

    /// <summary>Forgets messages up to <paramref name="through"/>; values past the last sequence number are clamped.</summary>
    public void Acknowledge(long through)
    {
        through = Math.Min(through, LastSeq);
        while (_oldest is { } oldest && oldest.Seq <= through)
        {
            _oldest = oldest.Newer;
            oldest.Newer = null;
            UnackedCount--;
        }

        if (_oldest is null)
        {
            _newest = null;
        }

        Acked = Math.Max(Acked, through);
    }

    private void Append(HeldMessage held)
    {
        if (_newest is null)
        {
            _oldest = held;
        }
        else
        {
            _newest.Newer = held;
        }

        _newest = held;
        UnackedCount++;
    }
}
