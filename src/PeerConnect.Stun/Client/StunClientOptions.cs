namespace PeerConnect.Stun.Client;

/// <summary>Timing and limits of STUN client transactions (RFC 8489 §6.2).</summary>
public sealed record StunClientOptions
{
    /// <summary>RTO: the wait before the first retransmission over UDP, doubled after each one. RFC 8489 §6.2.1 recommends 500 ms.</summary>
    public TimeSpan InitialRetransmissionTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Rc: how many times a request is sent over UDP in total, the first send included. RFC 8489 default 7.</summary>
    public int MaxTransmissions { get; init; } = 7;

    /// <summary>Rm: after the last send the client waits this many RTOs before giving up. RFC 8489 default 16.</summary>
    public int LastWaitMultiplier { get; init; } = 16;

    /// <summary>Ti: how long a TCP or TLS transaction may take before it fails. RFC 8489 §6.2.2 recommends 39.5 s.</summary>
    public TimeSpan StreamTransactionTimeout { get; init; } = TimeSpan.FromMilliseconds(39_500);

    /// <summary>Largest response accepted; a longer datagram is dropped, a longer framed message fails the connection.</summary>
    public int MaxResponseLength { get; init; } = 4096;

    /// <summary>Value of the SOFTWARE attribute added to requests; <see langword="null"/> leaves it out.</summary>
    public string? Software { get; init; }

    /// <summary>Throws when a value is out of range; clients call it on construction.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(InitialRetransmissionTimeout, TimeSpan.Zero, nameof(InitialRetransmissionTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTransmissions, 1, nameof(MaxTransmissions));
        ArgumentOutOfRangeException.ThrowIfLessThan(LastWaitMultiplier, 1, nameof(LastWaitMultiplier));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(StreamTransactionTimeout, TimeSpan.Zero, nameof(StreamTransactionTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxResponseLength, StunConstants.HeaderLength, nameof(MaxResponseLength));
    }
}
