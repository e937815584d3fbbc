using System.Net;
using System.Net.NetworkInformation;

namespace PeerConnect.Turn.Server;

/// <summary>Decides whether an allocation may have a permission for a peer address (RFC 8656 §10.2, §21.3).</summary>
public interface ITurnPermissionPolicy
{
    /// <summary>True when <paramref name="user"/> may relay to and from <paramref name="peer"/>.</summary>
    bool Permit(string user, IPAddress peer);
}

/// <summary>
/// Deny-by-default peer filtering: a TURN server is a proxy into whatever network it sits in, so relaying to the
/// operator's own networks is refused (RFC 8656 §21.3 "the server SHOULD NOT allow… to such addresses", the
/// SSRF concern) unless configured otherwise. Order: <see cref="TurnServerOptions.DeniedPeerRanges"/> deny;
/// then <see cref="TurnServerOptions.AllowedPeerRanges"/> and (with <see cref="TurnServerOptions.AllowLoopbackPeers"/>)
/// loopback allow; then the built-in ranges and the server's own addresses deny; anything else is allowed.
/// </summary>
public sealed class PeerAddressPolicy : ITurnPermissionPolicy
{
    // The ranges nobody should reach through a public relay.
    private static readonly IPNetwork[] BuiltInDenied =
    [
        IPNetwork.Parse("0.0.0.0/8"),          // "this network" (RFC 791, RFC 1122 §3.2.1.3)
        IPNetwork.Parse("10.0.0.0/8"),         // private (RFC 1918)
        IPNetwork.Parse("172.16.0.0/12"),      // private (RFC 1918)
        IPNetwork.Parse("192.168.0.0/16"),     // private (RFC 1918)
        IPNetwork.Parse("127.0.0.0/8"),        // loopback (RFC 1122)
        IPNetwork.Parse("169.254.0.0/16"),     // link-local (RFC 3927)
        IPNetwork.Parse("224.0.0.0/4"),        // multicast (RFC 5771)
        IPNetwork.Parse("255.255.255.255/32"), // limited broadcast (RFC 919)
        IPNetwork.Parse("::/128"),             // unspecified (RFC 4291)
        IPNetwork.Parse("::1/128"),            // loopback (RFC 4291)
        IPNetwork.Parse("fe80::/10"),          // link-local (RFC 4291)
        IPNetwork.Parse("fc00::/7"),           // unique-local (RFC 4193)
        IPNetwork.Parse("ff00::/8"),           // multicast (RFC 4291)
    ];

    private static readonly IPNetwork[] Loopback = [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")];

    private readonly IPNetwork[] _allowed;
    private readonly IPNetwork[] _denied;
    private readonly HashSet<IPAddress> _ownAddresses;

    /// <summary>Builds the policy from the options and the server's own addresses.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="ownAddresses">Addresses of this host; null reads them from the network interfaces.</param>
    public PeerAddressPolicy(TurnServerOptions options, IEnumerable<IPAddress>? ownAddresses = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var allowed = ParseRanges(options.AllowedPeerRanges, nameof(options.AllowedPeerRanges)).ToList();
        if (options.AllowLoopbackPeers)
        {
            allowed.AddRange(Loopback);
        }
        _allowed = [.. allowed];
        _denied = ParseRanges(options.DeniedPeerRanges, nameof(options.DeniedPeerRanges));
        _ownAddresses = [.. (ownAddresses ?? HostAddresses()).Select(Normalize)];
        foreach (var address in new[] { options.ExternalAddress, options.RelayAddress, options.RelayAddressV6 })
        {
            if (address is not null && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any))
            {
                _ownAddresses.Add(Normalize(address));
            }
        }
    }

    /// <inheritdoc />
    public bool Permit(string user, IPAddress peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        // An IPv4-mapped IPv6 address reaches the IPv4 host; judge it as that host, or ::ffff:127.0.0.1 slips through.
        var address = Normalize(peer);
        if (Contains(_denied, address))
        {
            return false;
        }
        if (Contains(_allowed, address))
        {
            return true;
        }
        return !Contains(BuiltInDenied, address) && !_ownAddresses.Contains(address);
    }

    /// <summary>Parses CIDR strings (<c>10.1.0.0/16</c>, <c>2001:db8::/32</c>; a bare address is a /32 or /128).</summary>
    /// <exception cref="ArgumentException">A string is not a CIDR range.</exception>
    public static IPNetwork[] ParseRanges(IReadOnlyList<string>? ranges, string name)
    {
        if (ranges is null)
        {
            return [];
        }
        var parsed = new IPNetwork[ranges.Count];
        for (int i = 0; i < ranges.Count; i++)
        {
            string text = ranges[i]?.Trim() ?? string.Empty;
            if (IPAddress.TryParse(text, out var single) && !text.Contains('/', StringComparison.Ordinal))
            {
                parsed[i] = new IPNetwork(single, single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            }
            else if (!IPNetwork.TryParse(text, out parsed[i]))
            {
                throw new ArgumentException($"{name}: '{ranges[i]}' is not a CIDR range such as 10.0.0.0/8.", name);
            }
        }
        return parsed;
    }

    private static bool Contains(IPNetwork[] networks, IPAddress address)
    {
        foreach (var network in networks)
        {
            if (network.BaseAddress.AddressFamily == address.AddressFamily && network.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static IEnumerable<IPAddress> HostAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(u => u.Address)
                .ToList();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }
}
