using System.Net;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Stun.Server;

/// <summary>
/// Answers requests of methods other than Binding. This is where TURN (Allocate, Refresh, CreatePermission,
/// ChannelBind…) plugs into the shared STUN/TURN listener; without a handler the server answers 400.
/// </summary>
/// <remarks>
/// Called on a receive loop: it must not block. Binding requests, indications and responses never reach it;
/// unknown comprehension-required attributes have already been answered with 420.
/// </remarks>
public interface IStunMethodHandler
{
    /// <summary>Handles one request.</summary>
    /// <param name="context">Where the request came from and over what.</param>
    /// <param name="request">The parsed request; valid only during the call.</param>
    /// <param name="response">Buffer for the response.</param>
    /// <returns>The length of the response written into <paramref name="response"/>, or 0 to send nothing.</returns>
    int HandleRequest(StunRequestContext context, StunMessageReader request, Span<byte> response);
}

/// <summary>Where a request handed to an <see cref="IStunMethodHandler"/> came from.</summary>
/// <param name="Transport">UDP, TCP or TLS.</param>
/// <param name="RemoteEndPoint">The client's address and port as the server sees it.</param>
public readonly record struct StunRequestContext(StunTransportProtocol Transport, IPEndPoint RemoteEndPoint);
