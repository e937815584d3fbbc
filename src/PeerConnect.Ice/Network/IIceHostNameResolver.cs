using System.Net;

namespace PeerConnect.Ice.Network;

/// <summary>Resolves remote candidates given by host name, such as the mDNS <c>*.local</c> names browsers send.</summary>
public interface IIceHostNameResolver
{
    /// <summary>The addresses of <paramref name="hostName"/>; empty when it does not resolve before the token fires.</summary>
    /// <param name="hostName">The candidate's connection address.</param>
    /// <param name="cancellationToken">Fires at the agent's resolution timeout.</param>
    Task<IReadOnlyList<IPAddress>> ResolveAsync(string hostName, CancellationToken cancellationToken);
}
