using System.Security.Cryptography;
using System.Text;

namespace PeerConnect.Server.Signaling;

/// <summary>Why an opening handshake is refused, as the HTTP status the refusal carries.</summary>
internal sealed class WebSocketUpgradeException(int statusCode, string reason) : Exception(reason)
{
    /// <summary>400, 404, 405, 426 (unsupported version, RFC 6455 section 4.4) or 431 (head too large).</summary>
    public int StatusCode { get; } = statusCode;
}

/// <summary>
/// A client's WebSocket opening handshake (RFC 6455 section 4.2.1): an HTTP/1.1 <c>GET</c> request head (RFC 9112
/// sections 3 and 5) with <c>Upgrade: websocket</c>, <c>Connection: Upgrade</c>, a 16-byte
/// <c>Sec-WebSocket-Key</c> and <c>Sec-WebSocket-Version: 13</c>.
/// </summary>
internal sealed record WebSocketUpgradeRequest(
    string Path,
    string Query,
    string Host,
    string Key,
    string? Origin,
    string? Authorization,
    IReadOnlyList<string> Subprotocols)
{
    /// <summary>The GUID every server appends to the key (RFC 6455 section 1.3).</summary>
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>Headers a client may send; more is not a WebSocket client (Kestrel's default limit is 100).</summary>
    private const int MaxHeaders = 100;

    /// <summary>
    /// Where the head ends (the index after its blank line) in what has arrived so far, or -1. The search starts at
    /// <paramref name="from"/>, so a head arriving in pieces is scanned once, not again with each piece.
    /// </summary>
    public static int HeadLength(ReadOnlySpan<byte> received, int from = 0)
    {
        var index = received[from..].IndexOf("\r\n\r\n"u8);
        return index < 0 ? -1 : from + index + 4;
    }

    /// <summary>Parses a complete request head, including its final blank line.</summary>
    /// <exception cref="WebSocketUpgradeException">The head is not a valid WebSocket opening handshake.</exception>
    public static WebSocketUpgradeRequest Parse(ReadOnlySpan<byte> head)
    {
        var end = HeadLength(head);
        if (end != head.Length)
        {
            throw Malformed("the request head does not end with an empty line");
        }

        var lineEnd = head.IndexOf("\r\n"u8);
        var target = RequestTarget(head[..lineEnd]);

        string? host = null, upgrade = null, connection = null, key = null, wsVersion = null, origin = null, authorization = null;
        var subprotocols = new List<string>();
        var rest = head[(lineEnd + 2)..(head.Length - 2)];
        var count = 0;
        while (!rest.IsEmpty)
        {
            if (++count > MaxHeaders)
            {
                throw new WebSocketUpgradeException(431, "too many header fields");
            }

            var next = rest.IndexOf("\r\n"u8);
            var (name, value) = HeaderField(rest[..next]);
            rest = rest[(next + 2)..];
            switch (name)
            {
                case "host": host = Single(host, value, name); break;
                case "upgrade": upgrade = value; break;
                case "connection": connection = connection is null ? value : connection + "," + value; break;
                case "sec-websocket-key": key = Single(key, value, name); break;
                case "sec-websocket-version": wsVersion = Single(wsVersion, value, name); break;
                case "origin": origin = Single(origin, value, name); break;
                case "authorization": authorization = Single(authorization, value, name); break;
                case "sec-websocket-protocol":
                    foreach (var protocol in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    {
                        subprotocols.Add(protocol);
                    }

                    break;
            }
        }

        if (host is null)
        {
            throw Malformed("no Host header (RFC 9112 section 3.2)");
        }

        if (upgrade is null || !HasToken(upgrade, "websocket") || connection is null || !HasToken(connection, "upgrade"))
        {
            throw Malformed("expected Upgrade: websocket and Connection: Upgrade");
        }

        if (wsVersion != "13")
        {
            throw new WebSocketUpgradeException(426, "Sec-WebSocket-Version must be 13");
        }

        Span<byte> nonce = stackalloc byte[18];
        if (key is null || !Convert.TryFromBase64String(key, nonce, out var nonceLength) || nonceLength != 16)
        {
            throw Malformed("Sec-WebSocket-Key must be 16 bytes in base64");
        }

        var query = target.IndexOf('?');
        return new WebSocketUpgradeRequest(
            query < 0 ? target : target[..query],
            query < 0 ? "" : target[(query + 1)..],
            host,
            key,
            origin,
            authorization,
            subprotocols);
    }

    /// <summary><c>Sec-WebSocket-Accept</c>: base64 of the SHA-1 of the key and the GUID (RFC 6455 section 4.2.2, item 5.4).</summary>
    public static string AcceptFor(string key)
    {
        Span<byte> input = stackalloc byte[key.Length + AcceptGuid.Length];
        Encoding.ASCII.GetBytes(key, input);
        Encoding.ASCII.GetBytes(AcceptGuid, input[key.Length..]);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input, hash);
        return Convert.ToBase64String(hash);
    }

    /// <summary>The first value of a query parameter, decoded as a form field ('+' is a space); null when absent.</summary>
    public string? QueryValue(string name)
    {
        foreach (var range in Query.AsSpan().Split('&'))
        {
            var pair = Query.AsSpan(range);
            var equals = pair.IndexOf('=');
            var encodedName = equals < 0 ? pair : pair[..equals];
            if (Decode(encodedName) == name)
            {
                return equals < 0 ? "" : Decode(pair[(equals + 1)..]);
            }
        }

        return null;
    }

    private static string Decode(ReadOnlySpan<char> encoded) => Uri.UnescapeDataString(encoded.ToString().Replace('+', ' '));

    private static string RequestTarget(ReadOnlySpan<byte> line)
    {
        // request-line = method SP request-target SP HTTP-version (RFC 9112 section 3)
        var firstSpace = line.IndexOf((byte)' ');
        var lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace <= firstSpace + 1)
        {
            throw Malformed("the request line is not 'method target version'");
        }

        if (!line[(lastSpace + 1)..].SequenceEqual("HTTP/1.1"u8))
        {
            throw Malformed("only HTTP/1.1 can upgrade");
        }

        if (!line[..firstSpace].SequenceEqual("GET"u8))
        {
            throw new WebSocketUpgradeException(405, "a WebSocket handshake is a GET request");
        }

        var target = line[(firstSpace + 1)..lastSpace];
        if (target[0] != (byte)'/' || target.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) >= 0)
        {
            throw Malformed("the request target must be an origin-form path of visible ASCII");
        }

        return Encoding.ASCII.GetString(target);
    }

    private static (string Name, string Value) HeaderField(ReadOnlySpan<byte> line)
    {
        // field-line = field-name ":" OWS field-value OWS (RFC 9112 section 5); no whitespace before the colon
        // (section 5.1) and no line folding (section 5.2).
        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            throw Malformed("a header line has no field name");
        }

        var name = line[..colon];
        if (name.IndexOfAny((byte)' ', (byte)'\t') >= 0 || name.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) >= 0)
        {
            throw Malformed("a header field name has whitespace or a control character");
        }

        var value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (var b in value)
        {
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7F)
            {
                throw Malformed("a header field value has a control character");
            }
        }

        return (Encoding.ASCII.GetString(name).ToLowerInvariant(), Encoding.Latin1.GetString(value));
    }

    private static string Single(string? existing, string value, string name) =>
        existing is null ? value : throw Malformed($"the {name} header appears twice");

    private static bool HasToken(string list, string token)
    {
        foreach (var range in list.AsSpan().Split(','))
        {
            if (list.AsSpan(range).Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static WebSocketUpgradeException Malformed(string reason) => new(400, reason);
}
