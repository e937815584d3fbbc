using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PeerConnect.Turn.Server;

namespace PeerConnect.Server.Stun;

/// <summary>Turns the <c>PeerConnect:Turn</c> TURN keys into <see cref="TurnServerOptions"/>.</summary>
internal static class TurnServerOptionsMapper
{
    /// <exception cref="FormatException">An address or the port range does not parse.</exception>
    public static TurnServerOptions ToTurnOptions(TurnListenerOptions settings)
    {
        var (min, max) = ParseRange(settings.RelayPortRange);
        return new TurnServerOptions
        {
            Realm = settings.Realm,
            Users = settings.Users,
            AuthSecret = NullIfEmpty(settings.AuthSecret),
            PreviousAuthSecret = NullIfEmpty(settings.PreviousAuthSecret),
            AllowLoopbackPeers = settings.AllowLoopbackPeers,
            AllowedPeerRanges = settings.AllowedPeerRanges ?? [],
            DeniedPeerRanges = settings.DeniedPeerRanges ?? [],
            RelayPortMin = min,
            RelayPortMax = max,
            RelayAddress = ParseAddress(settings.RelayAddress, "RelayAddress") ?? DefaultRelayAddress(settings),
            RelayAddressV6 = ParseAddress(settings.RelayAddressV6, "RelayAddressV6"),
            ExternalAddress = ParseAddress(settings.ExternalAddress, "ExternalAddress"),
            MaxAllocationsPerUser = settings.MaxAllocationsPerUser,
            MaxAllocations = settings.MaxAllocations,
            DefaultAllocationLifetime = settings.DefaultAllocationLifetime,
            MaxAllocationLifetime = settings.MaxAllocationLifetime,
            BandwidthLimitBytesPerSecond = settings.BandwidthLimitBytesPerSecond,
            AllowTcpRelay = settings.AllowTcpRelay,
            MaxTcpConnectionsPerAllocation = settings.MaxTcpConnectionsPerAllocation,
            TcpConnectTimeout = settings.TcpConnectTimeout,
            RelayReceiveThreads = settings.RelayReceiveThreads ?? Environment.ProcessorCount,
            RelaySocketBufferBytes = settings.RelaySocketBufferBytes ?? TurnServerOptions.DefaultRelaySocketBufferBytes,
            NonceLifetime = settings.NonceLifetime,
            AllowRfc5766ChannelNumbers = settings.AllowRfc5766ChannelNumbers,
            UnauthenticatedAmplificationLimit = settings.UnauthenticatedAmplificationLimit,
            Software = string.IsNullOrEmpty(settings.Software) ? null : settings.Software,
        };
    }

    private static IPAddress DefaultRelayAddress(TurnListenerOptions settings) =>
        (settings.ListenAddresses ?? [])
            .Select(a => IPAddress.TryParse(a, out var address) ? address : null)
            .FirstOrDefault(a => a is not null && a.AddressFamily == AddressFamily.InterNetwork && !a.Equals(IPAddress.Any))
        ?? IPAddress.Any;

    private static (int Min, int Max) ParseRange(string range)
    {
        string[] parts = (range ?? string.Empty).Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int min)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int max))
        {
            return (min, max);
        }
        throw new FormatException($"RelayPortRange: '{range}' is not a range such as 49152-65535.");
    }

    private static IPAddress? ParseAddress(string? text, string key)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        return IPAddress.TryParse(text, out var address) ? address : throw new FormatException($"{key}: '{text}' is not an IP address.");
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
