namespace PeerConnect.Stun.NatBehavior;

/// <summary>The server gave no OTHER-ADDRESS: it has no alternate address, so RFC 5780 tests cannot run against it.</summary>
public sealed class NatBehaviorNotSupportedException : NotSupportedException
{
    /// <summary>Creates the exception.</summary>
    public NatBehaviorNotSupportedException() : base("The STUN server does not support RFC 5780 NAT behaviour discovery (no OTHER-ADDRESS).") { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The description.</param>
    public NatBehaviorNotSupportedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The description.</param>
    /// <param name="innerException">The cause.</param>
    public NatBehaviorNotSupportedException(string message, Exception innerException) : base(message, innerException) { }
}
