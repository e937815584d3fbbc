using System.Text;
using PeerConnect.Server.Signaling;

namespace PeerConnect.Signaling.Tests.Server;

/// <summary>The WebSocket listener's opening-handshake parser (RFC 6455 section 4.2.1) on good, bad and random heads.</summary>
public sealed class WebSocketUpgradeRequestTests
{
    /// <summary>The client handshake of RFC 6455 section 1.2, with our path.</summary>
    private const string Rfc6455Request =
        "GET /ws?access_token=a%2Bb&resume=x+y&lastSeq=5 HTTP/1.1\r\n" +
        "Host: server.example.com\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Origin: http://example.com\r\n" +
        "Sec-WebSocket-Protocol: chat, superchat\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "\r\n";

    [Fact]
    public void AcceptMatchesTheRfc6455Example()
    {
        // RFC 6455 section 1.3: this key gives this accept value.
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketUpgradeRequest.AcceptFor("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    [Fact]
    public void ParsesTheRfc6455ExampleHandshake()
    {
        var request = Parse(Rfc6455Request);
        Assert.Equal("/ws", request.Path);
        Assert.Equal("server.example.com", request.Host);
        Assert.Equal("dGhlIHNhbXBsZSBub25jZQ==", request.Key);
        Assert.Equal("http://example.com", request.Origin);
        Assert.Equal(["chat", "superchat"], request.Subprotocols);
        Assert.Null(request.Authorization);
        Assert.Equal("a+b", request.QueryValue("access_token"));
        Assert.Equal("x y", request.QueryValue("resume"));
        Assert.Equal("5", request.QueryValue("lastSeq"));
        Assert.Null(request.QueryValue("missing"));
    }

    [Fact]
    public void AcceptsHeaderCaseTokenListsAndRepeatedProtocolHeaders()
    {
        // Firefox sends "Connection: keep-alive, Upgrade"; header names are case-insensitive (RFC 9110 section 5.1).
        var request = Parse(
            "GET /ws HTTP/1.1\r\nhost: h\r\nUPGRADE: WebSocket\r\nconnection: keep-alive, Upgrade\r\n" +
            "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version:13\r\n" +
            "Sec-WebSocket-Protocol: a\r\nSec-WebSocket-Protocol: b , c\r\nAuthorization: Bearer t\r\n\r\n");
        Assert.Equal(["a", "b", "c"], request.Subprotocols);
        Assert.Equal("Bearer t", request.Authorization);
        Assert.Equal("", request.Query);
    }

    [Theory]
    [InlineData("POST /ws HTTP/1.1", 405)]
    [InlineData("GET /ws HTTP/1.0", 400)]
    [InlineData("GET http://h/ws HTTP/1.1", 400)]
    [InlineData("GET  HTTP/1.1", 400)]
    [InlineData("GET /ws", 400)]
    [InlineData("GET /w s HTTP/1.1", 400)]
    public void RefusesABadRequestLine(string requestLine, int status)
    {
        var head = requestLine + Rfc6455Request[Rfc6455Request.IndexOf("\r\n", StringComparison.Ordinal)..];
        Assert.Equal(status, Refusal(head));
    }

    [Theory]
    [InlineData("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8", 426)]
    [InlineData("Sec-WebSocket-Version: 13\r\n", "", 426)]
    [InlineData("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", 400)]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ==", 400)]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ==", "not base64!", 400)]
    [InlineData("Host: server.example.com\r\n", "", 400)]
    [InlineData("Host: server.example.com\r\n", "Host: a\r\nHost: b\r\n", 400)]
    [InlineData("Upgrade: websocket", "Upgrade: h2c", 400)]
    [InlineData("Connection: Upgrade", "Connection: keep-alive", 400)]
    [InlineData("Origin: http://example.com", "Origin : http://example.com", 400)]
    [InlineData("Origin: http://example.com", "Origin: http://exa\u0001mple.com", 400)]
    [InlineData("Origin: http://example.com\r\n", "Origin: http://example.com\r\n folded\r\n", 400)]
    [InlineData("Origin: http://example.com", "no colon here", 400)]
    public void RefusesABadHeader(string replace, string with, int status)
    {
        Assert.Equal(status, Refusal(Rfc6455Request.Replace(replace, with, StringComparison.Ordinal)));
    }

    [Fact]
    public void RefusesTooManyHeaderFields()
    {
        var head = Rfc6455Request.Replace("\r\n\r\n", "\r\n" + string.Concat(Enumerable.Range(0, 101).Select(i => $"X-{i}: v\r\n")) + "\r\n", StringComparison.Ordinal);
        Assert.Equal(431, Refusal(head));
    }

    [Fact]
    public void HeadLengthFindsTheBlankLineOnly()
    {
        var bytes = Encoding.ASCII.GetBytes(Rfc6455Request);
        Assert.Equal(bytes.Length, WebSocketUpgradeRequest.HeadLength(bytes));
        Assert.Equal(-1, WebSocketUpgradeRequest.HeadLength(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Equal(-1, WebSocketUpgradeRequest.HeadLength([]));
    }

    [Fact]
    public void EveryTruncationIsRefusedWithAStatusNeverAnotherException()
    {
        var bytes = Encoding.ASCII.GetBytes(Rfc6455Request);
        for (var length = 0; length < bytes.Length - 4; length++)
        {
            // A prefix closed off with the blank line, as a client that stopped early and then sent one would.
            var head = bytes[..length].Concat("\r\n\r\n"u8.ToArray()).ToArray();
            if (WebSocketUpgradeRequest.HeadLength(head) != head.Length)
            {
                continue;
            }

            var e = Assert.Throws<WebSocketUpgradeException>(() => WebSocketUpgradeRequest.Parse(head));
            Assert.InRange(e.StatusCode, 400, 431);
        }
    }

    [Fact]
    public void RandomAndMutatedHeadsGiveAStatusOrAParseNeverAnotherException()
    {
        var random = new Random(6455);
        var good = Encoding.ASCII.GetBytes(Rfc6455Request);
        for (var i = 0; i < 20_000; i++)
        {
            byte[] head;
            if (i % 2 == 0)
            {
                head = new byte[random.Next(0, 600)];
                random.NextBytes(head);
            }
            else
            {
                head = (byte[])good.Clone();
                for (var flips = random.Next(1, 6); flips > 0; flips--)
                {
                    head[random.Next(head.Length - 4)] = (byte)random.Next(256);
                }
            }

            head = [.. head, .. "\r\n\r\n"u8];
            var end = WebSocketUpgradeRequest.HeadLength(head);
            try
            {
                WebSocketUpgradeRequest.Parse(head.AsSpan(0, end));
            }
            catch (WebSocketUpgradeException e)
            {
                Assert.InRange(e.StatusCode, 400, 431);
            }
        }
    }

    private static WebSocketUpgradeRequest Parse(string head) => WebSocketUpgradeRequest.Parse(Encoding.Latin1.GetBytes(head));

    private static int Refusal(string head) => Assert.Throws<WebSocketUpgradeException>(() => Parse(head)).StatusCode;
}
