using System.Net;

namespace PeerConnect.Stun.NatBehavior;

/// <summary>How a NAT maps internal endpoints to external ones (RFC 4787 §4.1, tested per RFC 5780 §4.3).</summary>
public enum NatMappingBehavior
{
    /// <summary>The mapped address equals the local address: there is no NAT on the path.</summary>
    NoNat,

    /// <summary>The same mapping for every destination ("full cone" in RFC 3489 words).</summary>
    EndpointIndependent,

    /// <summary>A new mapping for each destination IP address.</summary>
    AddressDependent,

    /// <summary>A new mapping for each destination IP address and port ("symmetric").</summary>
    AddressAndPortDependent,
}

/// <summary>Which inbound packets a NAT or firewall lets through (RFC 4787 §5, tested per RFC 5780 §4.4).</summary>
public enum NatFilteringBehavior
{
    /// <summary>Anyone may send to the mapped address.</summary>
    EndpointIndependent,

    /// <summary>Only IP addresses the client has sent to may answer.</summary>
    AddressDependent,

    /// <summary>Only IP addresses and ports the client has sent to may answer.</summary>
    AddressAndPortDependent,
}

/// <summary>The outcome of RFC 5780 behaviour discovery.</summary>
/// <param name="LocalEndPoint">The client's own address and port as used towards the server.</param>
/// <param name="MappedAddress">The reflexive address seen by the server's primary endpoint.</param>
/// <param name="Mapping">The mapping behaviour.</param>
/// <param name="Filtering">The filtering behaviour.</param>
/// <param name="OtherAddress">The server's alternate address and port used for the tests.</param>
public sealed record NatBehaviorResult(
    IPEndPoint LocalEndPoint,
    IPEndPoint MappedAddress,
    NatMappingBehavior Mapping,
    NatFilteringBehavior Filtering,
    IPEndPoint OtherAddress)
{
    /// <summary>True unless the mapped address equals the local one.</summary>
    public bool BehindNat => Mapping != NatMappingBehavior.NoNat;
}
