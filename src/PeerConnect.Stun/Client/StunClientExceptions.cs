namespace PeerConnect.Stun.Client;

/// <summary>A STUN transaction ended without a response (RFC 8489 §6.2.1 Rc/Rm exhausted, or Ti elapsed over TCP/TLS).</summary>
public sealed class StunTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    public StunTimeoutException() : base("The STUN server did not answer.") { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What timed out.</param>
    public StunTimeoutException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What timed out.</param>
    /// <param name="innerException">The cause.</param>
    public StunTimeoutException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The server answered with an error response (RFC 8489 §14.8 ERROR-CODE).</summary>
public sealed class StunErrorResponseException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StunErrorResponseException() : this(StunErrorCodes.ServerError, "") { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The description.</param>
    public StunErrorResponseException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The description.</param>
    /// <param name="innerException">The cause.</param>
    public StunErrorResponseException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception from the response's ERROR-CODE.</summary>
    /// <param name="errorCode">The STUN error code, e.g. 420.</param>
    /// <param name="reason">The reason phrase.</param>
    public StunErrorResponseException(int errorCode, string reason)
        : base($"The STUN server answered {errorCode} {reason}".TrimEnd())
    {
        ErrorCode = errorCode;
        Reason = reason;
    }

    /// <summary>The STUN error code (300–699).</summary>
    public int ErrorCode { get; }

    /// <summary>The server's reason phrase.</summary>
    public string Reason { get; } = "";
}

/// <summary>A response matched the transaction but is not a usable answer (unparseable, or a success without a mapped address).</summary>
public sealed class StunInvalidResponseException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StunInvalidResponseException() : base("The STUN response is not usable.") { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong with the response.</param>
    public StunInvalidResponseException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What is wrong with the response.</param>
    /// <param name="innerException">The cause.</param>
    public StunInvalidResponseException(string message, Exception innerException) : base(message, innerException) { }
}
