namespace PeerConnect.Ice.Tests.VirtualNetwork;

/// <summary>NAT mapping behaviour (RFC 4787 §4.1, the terms RFC 5780 tests for).</summary>
public enum NatMapping
{
    /// <summary>One public port per internal address and port, whatever the destination.</summary>
    EndpointIndependent,
    /// <summary>A new public port per destination IP address.</summary>
    AddressDependent,
    /// <summary>A new public port per destination IP address and port ("symmetric").</summary>
    AddressAndPortDependent,
}

/// <summary>NAT filtering behaviour (RFC 4787 §5).</summary>
public enum NatFiltering
{
    /// <summary>Anyone may send to a mapped port.</summary>
    EndpointIndependent,
    /// <summary>Only IP addresses the mapping has sent to.</summary>
    AddressDependent,
    /// <summary>Only IP addresses and ports the mapping has sent to.</summary>
    AddressAndPortDependent,
}

/// <summary>A NAT as a (mapping, filtering) pair, named like the classic types.</summary>
public sealed record NatBehavior(NatMapping Mapping, NatFiltering Filtering, string Name)
{
    public static NatBehavior FullCone { get; } = new(NatMapping.EndpointIndependent, NatFiltering.EndpointIndependent, "full-cone");

    public static NatBehavior RestrictedCone { get; } = new(NatMapping.EndpointIndependent, NatFiltering.AddressDependent, "restricted-cone");

    public static NatBehavior PortRestrictedCone { get; } = new(NatMapping.EndpointIndependent, NatFiltering.AddressAndPortDependent, "port-restricted-cone");

    public static NatBehavior AddressDependentBoth { get; } = new(NatMapping.AddressDependent, NatFiltering.AddressDependent, "address-dependent");

    public static NatBehavior Symmetric { get; } = new(NatMapping.AddressAndPortDependent, NatFiltering.AddressAndPortDependent, "symmetric");

    public override string ToString() => Name;
}
