namespace PeerConnect.Turn.Client;

/// <summary>
/// The allocation is gone: the server refused a Refresh, the TCP/TLS connection closed, or the client was
/// disposed. Relayed sends and receives fail with it; a new <see cref="TurnClient"/> must allocate again.
/// </summary>
public sealed class TurnAllocationLostException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public TurnAllocationLostException() : base("The TURN allocation is gone.") { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">Why the allocation is gone.</param>
    public TurnAllocationLostException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">Why the allocation is gone.</param>
    /// <param name="innerException">The cause.</param>
    public TurnAllocationLostException(string message, Exception innerException) : base(message, innerException) { }
}
