using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace PeerConnect.Ice.Candidates;

/// <summary>
/// Foundations (RFC 8445 §5.1.1.3): equal for candidates of the same type, base IP address, STUN/TURN server
/// and transport, so the frozen algorithm (§6.1.2.6) tests one of them first and unfreezes the rest on success.
/// </summary>
public static class IceFoundation
{
    /// <summary>
    /// The foundation of a local candidate: a short <c>ice-char</c> string (RFC 8839 §5.1 allows 1–32)
    /// that is a stable hash of the four inputs, so restarts and re-gathers keep it.
    /// </summary>
    /// <param name="type">Candidate type.</param>
    /// <param name="baseAddress">The IP address of the candidate's base.</param>
    /// <param name="server">The STUN or TURN server that produced it; null for host and peer-reflexive candidates.</param>
    /// <param name="protocol">The transport.</param>
    public static string Compute(IceCandidateType type, IPAddress baseAddress, EndPoint? server, IceProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        string key = $"{type}|{baseAddress}|{server}|{protocol}";
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        // 32 bits are plenty to keep the handful of foundations of one agent apart.
        return BitConverter.ToUInt32(hash).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
