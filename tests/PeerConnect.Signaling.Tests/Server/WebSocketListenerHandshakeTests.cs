using System.Net.Sockets;
using System.Text;
using PeerConnect.Server.Signaling;
using PeerConnect.Signaling.Tests.Infrastructure;

namespace PeerConnect.Signaling.Tests.Server;

/// <summary>
/// The WebSocket-only listener's opening handshake over a bare TCP socket: what it answers to a good request
/// (RFC 6455 section 4.2.2), to bad, oversized, early and silent ones, and that it keeps serving after them.
/// </summary>
public sealed class WebSocketListenerHandshakeTests : IAsyncLifetime
{
    private SignalingServer _server = null!;

    public Task InitializeAsync()
    {
        _server = SignalingServer.Start(new Dictionary<string, string?> { ["PeerConnect:Signaling:HandshakeTimeout"] = "00:00:01" }, viaWebSocketListener: true);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task AnswersWithTheAcceptKeyAndSubprotocolThenSendsAnUnmaskedWelcome()
    {
        using var tcp = await ConnectAsync();
        await SendAsync(tcp, Request("GET /ws HTTP/1.1", "Sec-WebSocket-Protocol: x, peerconnect.v1.json"));
        var response = await ReadHeadAsync(tcp);
        Assert.StartsWith("HTTP/1.1 101 ", response, StringComparison.Ordinal);
        Assert.Contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", response, StringComparison.Ordinal);
        Assert.Contains("\r\nSec-WebSocket-Protocol: peerconnect.v1.json\r\n", response, StringComparison.Ordinal);

        // RFC 6455 section 5.1: a server never masks. The welcome is one final text frame (0x81), mask bit clear.
        var header = new byte[2];
        await tcp.GetStream().ReadExactlyAsync(header).AsTask().WaitAsync(Timeouts.Generous);
        Assert.Equal(0x81, header[0]);
        Assert.Equal(0, header[1] & 0x80);
    }

    [Fact]
    public async Task AHeadArrivingInPiecesIsFoundWhereItsBlankLineIsSplit()
    {
        using var tcp = await ConnectAsync();
        var request = Request("GET /ws HTTP/1.1", "");
        var split = request.Length - 3;
        await SendAsync(tcp, request[..split]);
        await Task.Delay(200);
        await SendAsync(tcp, request[split..]);
        Assert.StartsWith("HTTP/1.1 101 ", await ReadHeadAsync(tcp), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("POST /ws HTTP/1.1", "", 405)]
    [InlineData("GET /elsewhere HTTP/1.1", "", 404)]
    [InlineData("GET /ws HTTP/1.1", "Sec-WebSocket-Protocol: sip", 400)]
    public async Task RefusesWithAnHttpStatusAndCloses(string requestLine, string extraHeader, int status)
    {
        using var tcp = await ConnectAsync();
        await SendAsync(tcp, Request(requestLine, extraHeader));
        Assert.StartsWith($"HTTP/1.1 {status} ", await ReadToEndAsync(tcp), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnsupportedVersionGets426NamingVersion13()
    {
        using var tcp = await ConnectAsync();
        await SendAsync(tcp, Request("GET /ws HTTP/1.1", "").Replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8", StringComparison.Ordinal));
        var response = await ReadToEndAsync(tcp);
        Assert.StartsWith("HTTP/1.1 426 ", response, StringComparison.Ordinal);
        Assert.Contains("\r\nSec-WebSocket-Version: 13\r\n", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHeadLongerThanTheFirstBufferButWithinTheLimitIsAccepted()
    {
        using var tcp = await ConnectAsync();
        var cookie = "Cookie: session=" + new string('c', SignalingWebSocketListener.FirstRequestHeadBytes * 3);
        await SendAsync(tcp, Request("GET /ws HTTP/1.1", cookie));
        Assert.StartsWith("HTTP/1.1 101 ", await ReadHeadAsync(tcp), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHeadPastTheLimitGets431()
    {
        using var tcp = await ConnectAsync();
        var junk = new byte[SignalingWebSocketListener.MaxRequestHeadBytes + 100];
        new Random(1).NextBytes(junk);
        junk = junk.Select(b => b is (byte)'\r' or (byte)'\n' ? (byte)'x' : b).ToArray();
        try
        {
            await tcp.GetStream().WriteAsync(junk).AsTask().WaitAsync(Timeouts.Generous);
        }
        catch (IOException)
        {
            // The server may answer and close before it has read all of it.
        }

        Assert.StartsWith("HTTP/1.1 431 ", await ReadToEndAsync(tcp), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFrameSentBeforeTheResponseIsRefused()
    {
        using var tcp = await ConnectAsync();
        await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(Request("GET /ws HTTP/1.1", "")).Concat(new byte[] { 0x81, 0x80, 1, 2, 3, 4 }).ToArray());
        Assert.StartsWith("HTTP/1.1 400 ", await ReadToEndAsync(tcp), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASilentClientIsDroppedAtTheHandshakeTimeout()
    {
        using var tcp = await ConnectAsync();
        await SendAsync(tcp, "GET /ws HTTP/1.1\r\nHost: x\r\n");
        Assert.Equal("", await ReadToEndAsync(tcp));
    }

    [Fact]
    public async Task RandomBytesAreRefusedCountedAndTheListenerKeepsServing()
    {
        var random = new Random(7);
        for (var i = 0; i < 20; i++)
        {
            using var tcp = await ConnectAsync();
            var junk = new byte[random.Next(1, 2000)];
            random.NextBytes(junk);
            await tcp.GetStream().WriteAsync(junk.Concat("\r\n\r\n"u8.ToArray()).ToArray());
            Assert.StartsWith("HTTP/1.1 4", await ReadToEndAsync(tcp), StringComparison.Ordinal);
        }

        using var http = _server.CreateHttpClient();
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Matches("peerconnect_signaling_handshakes_refused_total\\{[^}]*reason=\"400\"[^}]*\\} [1-9]", metrics);

        await using var client = await _server.ConnectAsync();
        Assert.NotNull(client.SessionId);
    }

    private static string Request(string requestLine, string extraHeader) =>
        requestLine + "\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
        (extraHeader.Length > 0 ? extraHeader + "\r\n" : "") + "\r\n";

    private async Task<TcpClient> ConnectAsync()
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(_server.WsUri.Host, _server.WsUri.Port).WaitAsync(Timeouts.Generous);
        return tcp;
    }

    private static Task SendAsync(TcpClient tcp, string text) => tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask().WaitAsync(Timeouts.Generous);

    private static async Task<string> ReadHeadAsync(TcpClient tcp)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (!head.TakeLast(4).SequenceEqual("\r\n\r\n"u8.ToArray()))
        {
            await tcp.GetStream().ReadExactlyAsync(one).AsTask().WaitAsync(Timeouts.Generous);
            head.Add(one[0]);
        }

        return Encoding.ASCII.GetString(head.ToArray());
    }

    private static async Task<string> ReadToEndAsync(TcpClient tcp)
    {
        var all = new MemoryStream();
        try
        {
            await tcp.GetStream().CopyToAsync(all).WaitAsync(Timeouts.Generous);
        }
        catch (IOException)
        {
            // A reset after the answer: what arrived before it is the answer.
        }

        return Encoding.ASCII.GetString(all.ToArray());
    }
}
