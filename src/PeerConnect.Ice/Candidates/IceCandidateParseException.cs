namespace PeerConnect.Ice.Candidates;

/// <summary>A <c>candidate</c> attribute that does not follow RFC 8839 §5.1.</summary>
public sealed class IceCandidateParseException : FormatException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public IceCandidateParseException() : base("The candidate line is malformed.") { }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public IceCandidateParseException(string message) : base(message) { }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public IceCandidateParseException(string message, Exception innerException) : base(message, innerException) { }
}
