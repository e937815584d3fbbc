using System.Net;
using System.Security.Cryptography.X509Certificates;
using PeerConnect.Stun.Server;

namespace PeerConnect.Server.Stun;

/// <summary>Turns configuration strings into the library's <see cref="StunServerOptions"/>.</summary>
internal static class StunServerOptionsMapper
{
    /// <exception cref="FormatException">An address does not parse; the message names it.</exception>
    public static StunServerOptions ToServerOptions(TurnListenerOptions options, X509Certificate2? certificate)
    {
        var defaults = new StunServerOptions();
        return new StunServerOptions
        {
            ListenAddresses = options.ListenAddresses is { Length: > 0 } addresses
                ? Array.ConvertAll(addresses, a => ParseAddress(a, nameof(options.ListenAddresses)))
                : defaults.ListenAddresses,
            Port = options.Port,
            TlsPort = options.TlsPort,
            Certificate = certificate,
            AlternateAddress = string.IsNullOrWhiteSpace(options.AlternateAddress) ? null : ParseAddress(options.AlternateAddress, nameof(options.AlternateAddress)),
            ReceiveLoops = options.ReceiveLoops ?? defaults.ReceiveLoops,
            UdpSocketBufferBytes = options.UdpSocketBufferBytes ?? defaults.UdpSocketBufferBytes,
            Software = string.IsNullOrEmpty(options.Software) ? null : options.Software,
            EnableUdp = options.EnableUdp,
            EnableTcp = options.EnableTcp,
            MaxStreamConnections = options.MaxStreamConnections,
        };
    }

    public static X509Certificate2? LoadCertificate(TurnListenerOptions options) =>
        options.CertificatePath is { Length: > 0 } path
            ? X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword)
            : null;

    private static IPAddress ParseAddress(string text, string key) =>
        IPAddress.TryParse(text.Trim(), out var address)
            ? address
            : throw new FormatException($"{key}: '{text}' is not an IP address.");
}
