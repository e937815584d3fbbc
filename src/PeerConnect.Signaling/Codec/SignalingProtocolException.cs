namespace PeerConnect.Signaling.Codec;

/// <summary>A frame that is not a valid signaling message: malformed encoding, unknown type, or a missing or invalid field.</summary>
public sealed class SignalingProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SignalingProtocolException()
    {
    }

    /// <summary>Creates the exception with a precise message.</summary>
    public SignalingProtocolException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception wrapping the decoder's own error.</summary>
    public SignalingProtocolException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>The message's <c>id</c>, when the frame parsed far enough to have one; errors echo it as <c>ref</c>.</summary>
    public long? RequestId { get; init; }
}
