using Microsoft.Playwright;
using PeerConnect.Browser.Tests.Infrastructure;

namespace PeerConnect.Browser.Tests;

/// <summary>
/// Chromium's own WebSocket, driven by <c>peerconnect.js</c>, against the WebSocket-only listener
/// (<c>PeerConnect:Signaling:WebSocketListener</c>): Chromium's opening handshake, its masked frames and a relayed
/// signal between two clients, on a port that is not the page's.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class WebSocketListenerTests(BrowserFixture browser) : IAsyncLifetime
{
    private CallServer _server = null!;
    private IPage? _page;

    public Task InitializeAsync()
    {
        _server = CallServer.Start(new Dictionary<string, string?> { ["PeerConnect:Signaling:WebSocketListener"] = "127.0.0.1:0" });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_page is not null)
        {
            await _page.Context.CloseAsync();
        }

        await _server.DisposeAsync();
    }

    [Fact]
    public async Task ChromiumClientsJoinAndRelayASignalThroughTheListener()
    {
        var listener = _server.WebSocketListenerUri!;
        var page = _page = await browser.NewPageAsync();
        var sockets = new List<string>();
        page.WebSocket += (_, socket) => sockets.Add(socket.Url);
        await page.GotoAsync(new Uri(_server.BaseUri, "/healthz").ToString());

        // An SDP-sized payload as well as a short one: Chromium sends the long one with a 16-bit extended length.
        var received = await page.EvaluateAsync<string[]>(
            """
            async (url) => {
              const { SignalingClient } = await import('/peerconnect.js');
              const alice = new SignalingClient(url);
              const bob = new SignalingClient(url);
              const received = [];
              const both = new Promise((resolve) => alice.addEventListener('signal', (e) => {
                received.push(e.detail.data);
                if (received.length === 2) resolve();
              }));
              await alice.connect();
              await alice.join('listener');
              await bob.connect();
              await bob.join('listener');
              bob.signal(alice.sessionId, 'app', { data: 'hello' });
              bob.signal(alice.sessionId, 'app', { data: 'v=0\r\n'.repeat(3000) });
              await both;
              return received;
            }
            """,
            listener.ToString()).WaitAsync(Timeouts.Generous);

        Assert.Equal(["hello", string.Concat(Enumerable.Repeat("v=0\r\n", 3000))], received);
        Assert.Equal(2, sockets.Count);
        Assert.All(sockets, url => Assert.StartsWith(listener.ToString(), url, StringComparison.Ordinal));
    }
}
