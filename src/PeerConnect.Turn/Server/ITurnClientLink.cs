namespace PeerConnect.Turn.Server;

/// <summary>
/// The way back to one client: what an allocation holds to deliver Data indications and ChannelData
/// (RFC 8656 §11.3, §12.6). Sends never throw; a send that fails is a lost datagram.
/// </summary>
public interface ITurnClientSender
{
    /// <summary>Sends one message to the client; false when it could not be sent.</summary>
    /// <param name="message">A whole STUN or ChannelData message (padded over streams).</param>
    bool Send(ReadOnlySpan<byte> message);
}

/// <summary>
/// The server socket (UDP) or connection (TCP/TLS) a client's packets arrive on, as the listener hands it to
/// <see cref="TurnServer.Process"/>. Held per socket or connection, not per packet.
/// </summary>
public interface ITurnClientLink
{
    /// <summary>Identifies the socket or connection (part of the 5-tuple).</summary>
    long Id { get; }

    /// <summary>The transport.</summary>
    TurnClientTransport Transport { get; }

    /// <summary>A sender to <paramref name="client"/>; called once per allocation, so it may allocate.</summary>
    ITurnClientSender CreateSender(TurnAddress client);

    /// <summary>
    /// Takes a TCP/TLS connection out of STUN framing once the response to the current request is written, and gives
    /// its stream to <paramref name="takeOver"/> (RFC 6062 §5.4: a bound ConnectionBind turns the connection into a
    /// client data connection). The connection closes when the task ends.
    /// </summary>
    /// <returns>False when the link cannot be handed over (UDP, or already handed over).</returns>
    bool HandOff(Func<Stream, CancellationToken, Task> takeOver) => false;

    /// <summary>
    /// The connection now holds an allocation: from here its lifetime, not the listener's idle timeout, decides when a
    /// quiet TCP/TLS connection ends (RFC 8656 §3.1: the allocation dies with its connection, so closing an idle
    /// control connection would delete a live allocation and, for TCP allocations, all its data connections).
    /// </summary>
    void HoldsAllocation()
    {
    }

    /// <summary>
    /// The connection's allocation ended (deleted, expired, or the server stopping): the listener's idle timeout applies
    /// to a TCP/TLS connection again, counted from now, until it holds another allocation.
    /// </summary>
    void AllocationEnded()
    {
    }
}
