using System.Globalization;
using System.Net;
using PeerConnect.Stun.Server;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Cli;

/// <summary>
/// A <c>stun:</c> or <c>stuns:</c> URI (RFC 7064): <c>stun:host[:port][?transport=udp|tcp]</c>, IPv6 literals in
/// brackets. <c>stuns:</c> means TLS and defaults to port 5349; <c>stun:</c> defaults to 3478 over UDP.
/// </summary>
internal sealed record StunUri(string Host, int Port, StunTransportProtocol Transport)
{
    /// <exception cref="FormatException">The text is not a usable STUN URI; the message says why.</exception>
    public static StunUri Parse(string text)
    {
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string scheme = colon > 0 ? text[..colon].ToLowerInvariant() : "";
        bool secure = scheme switch
        {
            "stun" => false,
            "stuns" => true,
            _ => throw new FormatException($"'{text}' is not a STUN URI: it must start with stun: or stuns:."),
        };
        string rest = text[(colon + 1)..];
        string? query = null;
        int question = rest.IndexOf('?', StringComparison.Ordinal);
        if (question >= 0)
        {
            query = rest[(question + 1)..];
            rest = rest[..question];
        }
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            throw new FormatException($"'{text}': STUN URIs have no '//' (write stun:host:port).");
        }
        var (host, portText) = SplitHostPort(text, rest);
        int port = secure ? StunServerOptions.DefaultTlsPort : StunServerOptions.DefaultPort;
        if (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > IPEndPoint.MaxPort))
        {
            throw new FormatException($"'{text}': '{portText}' is not a port number (1-65535).");
        }
        var transport = secure ? StunTransportProtocol.Tls : StunTransportProtocol.Udp;
        if (query is not null)
        {
            transport = query.ToLowerInvariant() switch
            {
                "transport=udp" when !secure => StunTransportProtocol.Udp,
                "transport=tcp" => secure ? StunTransportProtocol.Tls : StunTransportProtocol.Tcp,
                _ => throw new FormatException($"'{text}': unsupported '?{query}' (use ?transport=udp or ?transport=tcp; stuns: is TLS over TCP)."),
            };
        }
        return new StunUri(host, port, transport);
    }

    private static (string Host, string? Port) SplitHostPort(string text, string authority)
    {
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || !IPAddress.TryParse(authority[1..close], out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                throw new FormatException($"'{text}': the bracketed IPv6 address is malformed.");
            }
            string after = authority[(close + 1)..];
            if (after.Length > 0 && !after.StartsWith(':'))
            {
                throw new FormatException($"'{text}': unexpected '{after}' after the IPv6 address.");
            }
            return (authority[1..close], after.Length > 0 ? after[1..] : null);
        }
        int colon = authority.LastIndexOf(':');
        if (colon >= 0 && authority.IndexOf(':', StringComparison.Ordinal) != colon)
        {
            throw new FormatException($"'{text}': put an IPv6 address in brackets, e.g. stun:[::1]:3478.");
        }
        string host = colon >= 0 ? authority[..colon] : authority;
        if (host.Length == 0 || host.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-')))
        {
            throw new FormatException($"'{text}': '{host}' is not a host name or address.");
        }
        return (host, colon >= 0 ? authority[(colon + 1)..] : null);
    }

    public override string ToString()
    {
        string host = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
        string scheme = Transport == StunTransportProtocol.Tls ? "stuns" : "stun";
        string query = Transport == StunTransportProtocol.Tcp ? "?transport=tcp" : "";
        return $"{scheme}:{host}:{Port.ToString(CultureInfo.InvariantCulture)}{query}";
    }
}
