using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Ice.Servers;

/// <summary>Whether an <see cref="IceServerUri"/> names a STUN or a TURN server.</summary>
public enum IceServerKind
{
    /// <summary><c>stun:</c> or <c>stuns:</c> (RFC 7064): server-reflexive candidates.</summary>
    Stun,
    /// <summary><c>turn:</c> or <c>turns:</c> (RFC 7065): relayed candidates.</summary>
    Turn,
}

/// <summary>
/// A STUN or TURN server URI as browsers and our <c>GET /api/ice-servers</c> give them.
/// <code>
/// stunURI = ("stun" / "stuns") ":" host [ ":" port ]                        ; RFC 7064 §3.1
/// turnURI = ("turn" / "turns") ":" host [ ":" port ] [ "?transport=" ("udp" / "tcp") ]  ; RFC 7065 §3.1
/// </code>
/// The secure schemes mean TLS over TCP and default to port 5349; the others default to 3478, over UDP unless
/// <c>?transport=tcp</c>. IPv6 literals are bracketed. Browsers also accept <c>?transport=</c> on <c>stun:</c>; so do we.
/// </summary>
/// <param name="Kind">STUN or TURN.</param>
/// <param name="Host">Host name or IP address literal, without brackets.</param>
/// <param name="Port">The port.</param>
/// <param name="Transport">UDP, TCP or TLS to the server.</param>
public sealed record IceServerUri(IceServerKind Kind, string Host, int Port, StunTransportProtocol Transport)
{
    /// <summary>3478: STUN and TURN over UDP and TCP (RFC 8489 §9, RFC 8656 §3).</summary>
    public const int DefaultPort = 3478;

    /// <summary>5349: STUN and TURN over TLS.</summary>
    public const int DefaultTlsPort = 5349;

    /// <summary>Parses one URI.</summary>
    /// <exception cref="FormatException">The text is not a usable STUN/TURN URI; the message says why.</exception>
    public static IceServerUri Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        (IceServerKind kind, bool secure) = (colon > 0 ? text[..colon].ToLowerInvariant() : "") switch
        {
            "stun" => (IceServerKind.Stun, false),
            "stuns" => (IceServerKind.Stun, true),
            "turn" => (IceServerKind.Turn, false),
            "turns" => (IceServerKind.Turn, true),
            _ => throw new FormatException($"'{text}' is not a STUN or TURN URI: it must start with stun:, stuns:, turn: or turns:."),
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
            throw new FormatException($"'{text}': STUN/TURN URIs have no '//' (write {text[..colon]}:host:port).");
        }

        (string host, string? portText) = SplitHostPort(text, rest);
        int port = secure ? DefaultTlsPort : DefaultPort;
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
                _ => throw new FormatException($"'{text}': unsupported '?{query}' (use ?transport=udp or ?transport=tcp; {(kind == IceServerKind.Turn ? "turns" : "stuns")}: is TLS over TCP)."),
            };
        }

        return new IceServerUri(kind, host, port, transport);
    }

    /// <summary>The server's address: the literal, or the first address DNS gives (IPv4 first).</summary>
    /// <exception cref="SocketException">The name does not resolve.</exception>
    public async Task<IPEndPoint> ResolveAsync(CancellationToken cancellationToken = default)
    {
        if (IPAddress.TryParse(Host, out var literal))
        {
            return new IPEndPoint(literal, Port);
        }

        var addresses = await Dns.GetHostAddressesAsync(Host, cancellationToken).ConfigureAwait(false);
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new SocketException((int)SocketError.HostNotFound);
        return new IPEndPoint(chosen, Port);
    }

    private static (string Host, string? Port) SplitHostPort(string text, string authority)
    {
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || !IPAddress.TryParse(authority[1..close], out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
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
            throw new FormatException($"'{text}': put an IPv6 address in brackets, e.g. turn:[::1]:3478.");
        }

        string host = colon >= 0 ? authority[..colon] : authority;
        if (host.Length == 0 || host.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-')))
        {
            throw new FormatException($"'{text}': '{host}' is not a host name or address.");
        }

        return (host, colon >= 0 ? authority[(colon + 1)..] : null);
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        string host = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
        string scheme = (Kind, Transport) switch
        {
            (IceServerKind.Stun, StunTransportProtocol.Tls) => "stuns",
            (IceServerKind.Stun, _) => "stun",
            (_, StunTransportProtocol.Tls) => "turns",
            _ => "turn",
        };
        string query = Transport == StunTransportProtocol.Tcp ? "?transport=tcp" : "";
        return $"{scheme}:{host}:{Port.ToString(CultureInfo.InvariantCulture)}{query}";
    }
}
