using System.Net;

namespace PeerConnect.Stun.Client;

/// <summary>A response that matched a client transaction.</summary>
/// <param name="Message">The whole STUN message; parse it with <see cref="StunMessageReader.Parse"/>.</param>
/// <param name="Source">Where the response came from (for RFC 5780 CHANGE-REQUEST it differs from the request's destination).</param>
/// <param name="RoundTripTime">Time from the first transmission of the request to the response.</param>
public sealed record StunResponse(ReadOnlyMemory<byte> Message, IPEndPoint Source, TimeSpan RoundTripTime);
