using System.Net;

namespace PeerConnect.Stun.Client;

/// <summary>What a Binding success response says about the client's address.</summary>
/// <param name="MappedAddress">The reflexive address: XOR-MAPPED-ADDRESS, or MAPPED-ADDRESS from an RFC 3489-era server.</param>
/// <param name="Software">The server's SOFTWARE attribute, if any.</param>
/// <param name="RoundTripTime">Time from the first transmission of the request to the response.</param>
/// <param name="ResponseOrigin">RESPONSE-ORIGIN (RFC 5780 §7.3): the address the server says it answered from.</param>
/// <param name="OtherAddress">OTHER-ADDRESS (RFC 5780 §7.4): the server's alternate address and port; present only on servers that support NAT behaviour discovery.</param>
/// <param name="ResponseSource">The address the response actually arrived from.</param>
public sealed record StunBindingResult(
    IPEndPoint MappedAddress,
    string? Software,
    TimeSpan RoundTripTime,
    IPEndPoint? ResponseOrigin,
    IPEndPoint? OtherAddress,
    IPEndPoint ResponseSource);
