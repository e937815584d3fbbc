using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Signaling.Client;

/// <summary>The server answered a request with an error, or refused the connection.</summary>
public sealed class SignalingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SignalingException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SignalingException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public SignalingException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for an error the server sent.</summary>
    public SignalingException(SignalingErrorCode code, string message) : base(message)
    {
        Code = code;
    }

    /// <summary>The server's error code, when the server sent one.</summary>
    public SignalingErrorCode? Code { get; }
}
