using System.Globalization;
using System.Net;
using System.Text;

namespace PeerConnect.Ice.Candidates;

/// <summary>
/// One ICE candidate as signalled in SDP or trickled (RFC 8839 §5.1):
/// <code>
/// candidate-attribute = "candidate" ":" foundation SP component-id SP transport SP priority SP
///                       connection-address SP port SP "typ" SP cand-type
///                       [SP "raddr" SP connection-address] [SP "rport" SP port]
///                       *(SP extension-att-name SP extension-att-value)
/// </code>
/// Extensions understood here: <c>tcptype</c> (RFC 6544 §4.5), <c>generation</c> and <c>ufrag</c>
/// (as browsers send them); others are kept in order and written back.
/// </summary>
public sealed record IceCandidate
{
    private const int MaxLineLength = 1024;

    /// <summary>Groups candidates for the frozen algorithm; 1–32 <c>ice-char</c>s (RFC 8839 §5.1).</summary>
    public required string Foundation { get; init; }

    /// <summary>Component id, 1–256; WebRTC bundles everything on component 1.</summary>
    public int Component { get; init; } = 1;

    /// <summary>UDP or TCP.</summary>
    public IceProtocol Protocol { get; init; } = IceProtocol.Udp;

    /// <summary>Candidate priority (RFC 8445 §5.1.2).</summary>
    public uint Priority { get; init; }

    /// <summary>The connection address: an IP literal, or a host name such as an mDNS <c>*.local</c> name.</summary>
    public required string Address { get; init; }

    /// <summary>The port.</summary>
    public int Port { get; init; }

    /// <summary>The candidate type.</summary>
    public IceCandidateType Type { get; init; }

    /// <summary><c>raddr</c>: the related address (the base or mapped address), when signalled.</summary>
    public string? RelatedAddress { get; init; }

    /// <summary><c>rport</c>: the related port, when signalled.</summary>
    public int? RelatedPort { get; init; }

    /// <summary><c>tcptype</c> for TCP candidates.</summary>
    public IceTcpType? TcpType { get; init; }

    /// <summary><c>generation</c>: which ICE restart the candidate belongs to, when signalled.</summary>
    public int? Generation { get; init; }

    /// <summary><c>ufrag</c>: the username fragment the candidate belongs to, when signalled.</summary>
    public string? Ufrag { get; init; }

    /// <summary>Extensions not modelled above, as name/value pairs in their original order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Extensions { get; init; } = [];

    /// <summary>True when <see cref="Address"/> is a host name ending in <c>.local</c> (mDNS, RFC 8839 §5.1 and the mDNS candidates draft).</summary>
    public bool IsMdns => Address.EndsWith(".local", StringComparison.OrdinalIgnoreCase) && !IPAddress.TryParse(Address, out _);

    /// <summary>The address and port when <see cref="Address"/> is an IP literal; null for host names.</summary>
    public IPEndPoint? EndPoint => IPAddress.TryParse(Address, out var ip) ? new IPEndPoint(ip, Port) : null;

    /// <summary>Parses a candidate line with or without the <c>a=</c> and <c>candidate:</c> prefixes.</summary>
    /// <exception cref="IceCandidateParseException">The line does not follow RFC 8839 §5.1.</exception>
    public static IceCandidate Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (line.Length > MaxLineLength)
        {
            throw new IceCandidateParseException($"The candidate line is longer than {MaxLineLength} characters.");
        }

        string text = line.Trim();
        if (text.StartsWith("a=", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        if (text.StartsWith("candidate:", StringComparison.OrdinalIgnoreCase))
        {
            text = text["candidate:".Length..];
        }

        string[] f = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length < 8)
        {
            throw new IceCandidateParseException("A candidate needs foundation, component, transport, priority, address, port and typ.");
        }

        string foundation = f[0];
        if (foundation.Length is < 1 or > 32 || !foundation.All(IsIceChar))
        {
            throw new IceCandidateParseException($"Foundation '{foundation}' is not 1–32 ice-chars.");
        }

        int component = ParseInt(f[1], "component-id", 1, 256);
        IceProtocol protocol = f[2].ToUpperInvariant() switch
        {
            "UDP" => IceProtocol.Udp,
            "TCP" => IceProtocol.Tcp,
            _ => throw new IceCandidateParseException($"Transport '{f[2]}' is neither UDP nor TCP."),
        };
        if (!uint.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out uint priority) || priority == 0)
        {
            throw new IceCandidateParseException($"Priority '{f[3]}' is not 1–4294967295.");
        }

        string address = ParseAddress(f[4]);
        int port = ParseInt(f[5], "port", 0, 65535);
        if (!f[6].Equals("typ", StringComparison.Ordinal))
        {
            throw new IceCandidateParseException($"Expected 'typ', found '{f[6]}'.");
        }

        IceCandidateType type = f[7] switch
        {
            "host" => IceCandidateType.Host,
            "srflx" => IceCandidateType.ServerReflexive,
            "prflx" => IceCandidateType.PeerReflexive,
            "relay" => IceCandidateType.Relayed,
            _ => throw new IceCandidateParseException($"Candidate type '{f[7]}' is unknown."),
        };

        string? raddr = null;
        int? rport = null, generation = null;
        IceTcpType? tcpType = null;
        string? ufrag = null;
        var extensions = new List<KeyValuePair<string, string>>();
        for (int i = 8; i < f.Length; i += 2)
        {
            if (i + 1 >= f.Length)
            {
                throw new IceCandidateParseException($"Extension '{f[i]}' has no value.");
            }

            string name = f[i], value = f[i + 1];
            switch (name)
            {
                case "raddr":
                    raddr = ParseAddress(value);
                    break;
                case "rport":
                    rport = ParseInt(value, "rport", 0, 65535);
                    break;
                case "generation":
                    generation = ParseInt(value, "generation", 0, int.MaxValue);
                    break;
                case "ufrag":
                    ufrag = value;
                    break;
                case "tcptype":
                    tcpType = value switch
                    {
                        "active" => IceTcpType.Active,
                        "passive" => IceTcpType.Passive,
                        "so" => IceTcpType.SimultaneousOpen,
                        _ => throw new IceCandidateParseException($"tcptype '{value}' is unknown."),
                    };
                    break;
                default:
                    extensions.Add(new(name, value));
                    break;
            }
        }

        if (protocol == IceProtocol.Tcp && tcpType is null)
        {
            throw new IceCandidateParseException("A TCP candidate needs a tcptype (RFC 6544 §4.5).");
        }

        return new IceCandidate
        {
            Foundation = foundation,
            Component = component,
            Protocol = protocol,
            Priority = priority,
            Address = address,
            Port = port,
            Type = type,
            RelatedAddress = raddr,
            RelatedPort = rport,
            TcpType = tcpType,
            Generation = generation,
            Ufrag = ufrag,
            Extensions = extensions,
        };
    }

    /// <summary>Parses like <see cref="Parse"/>, returning false instead of throwing.</summary>
    public static bool TryParse(string line, out IceCandidate? candidate)
    {
        try
        {
            candidate = Parse(line);
            return true;
        }
        catch (IceCandidateParseException)
        {
            candidate = null;
            return false;
        }
    }

    /// <summary>The attribute value, starting with <c>candidate:</c> (RFC 8839 §5.1).</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(128);
        sb.Append(CultureInfo.InvariantCulture, $"candidate:{Foundation} {Component} {(Protocol == IceProtocol.Udp ? "udp" : "tcp")} {Priority} {Address} {Port} typ {TypeName(Type)}");
        if (RelatedAddress is not null)
        {
            sb.Append(" raddr ").Append(RelatedAddress);
        }

        if (RelatedPort is int rport)
        {
            sb.Append(CultureInfo.InvariantCulture, $" rport {rport}");
        }

        if (TcpType is IceTcpType tcp)
        {
            sb.Append(" tcptype ").Append(tcp switch { IceTcpType.Active => "active", IceTcpType.Passive => "passive", _ => "so" });
        }

        if (Generation is int generation)
        {
            sb.Append(CultureInfo.InvariantCulture, $" generation {generation}");
        }

        if (Ufrag is not null)
        {
            sb.Append(" ufrag ").Append(Ufrag);
        }

        foreach (var (name, value) in Extensions)
        {
            sb.Append(' ').Append(name).Append(' ').Append(value);
        }

        return sb.ToString();
    }

    /// <summary>The RFC 8839 <c>cand-type</c> token.</summary>
    public static string TypeName(IceCandidateType type) => type switch
    {
        IceCandidateType.Host => "host",
        IceCandidateType.ServerReflexive => "srflx",
        IceCandidateType.PeerReflexive => "prflx",
        _ => "relay",
    };

    private static bool IsIceChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '+' or '/';

    private static int ParseInt(string text, string what, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw new IceCandidateParseException($"{what} '{text}' is not {min}–{max}.");
        }

        return value;
    }

    private static string ParseAddress(string text)
    {
        if (IPAddress.TryParse(text, out var ip))
        {
            return ip.ToString();
        }

        // RFC 8839 §5.1 allows an FQDN; mDNS names are the ones browsers send.
        if (text.Length > 253 || Uri.CheckHostName(text) != UriHostNameType.Dns)
        {
            throw new IceCandidateParseException($"Connection address '{text}' is neither an IP address nor a host name.");
        }

        return text;
    }
}
