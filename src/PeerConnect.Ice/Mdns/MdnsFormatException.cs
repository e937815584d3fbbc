namespace PeerConnect.Ice.Mdns;

/// <summary>A DNS message (RFC 1035 §4) that cannot be read: truncated, a bad label or a compression loop.</summary>
public sealed class MdnsFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MdnsFormatException() : base("Malformed DNS message.") { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong, and where.</param>
    public MdnsFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public MdnsFormatException(string message, Exception innerException) : base(message, innerException) { }
}
