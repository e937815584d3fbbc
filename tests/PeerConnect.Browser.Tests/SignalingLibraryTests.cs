using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Playwright;
using PeerConnect.Browser.Tests.Infrastructure;

namespace PeerConnect.Browser.Tests;

/// <summary>
/// <c>peerconnect.js</c> on its own, imported into a page: resume after a drop, replay and acknowledgements; and
/// Chromium's own WebSocket against the WebSocket-only listener (<c>PeerConnect:Signaling:WebSocketListener</c>).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SignalingLibraryTests(BrowserFixture browser) : IAsyncLifetime
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
        // Close the page first: the server's shutdown waits for open WebSockets.
        if (_page is not null)
        {
            await _page.Context.CloseAsync();
        }

        await _server.DisposeAsync();
    }

    [Fact]
    public async Task DroppedClientResumesAndGetsWhatWasSentWhileAwayOnceInOrderAndAcknowledgesIt()
    {
        const int count = 40;
        var page = _page = await browser.NewPageAsync();
        var framesSent = new ConcurrentQueue<(string Url, string Text)>();
        page.WebSocket += (_, socket) => socket.FrameSent += (_, frame) => framesSent.Enqueue((socket.Url, frame.Text ?? ""));
        await page.GotoAsync(new Uri(_server.BaseUri, "/healthz").ToString());

        // Two clients in one page. While window.offline is set, new WebSockets fail at once, like a dead network:
        // only Alice ever reconnects, so only she is held back.
        await page.EvaluateAsync("""
            async () => {
              const { SignalingClient } = await import('/peerconnect.js');
              const Real = window.WebSocket;
              window.WebSocket = class extends Real {
                constructor(...args) { if (window.offline) throw new Error('offline'); super(...args); }
              };
              const url = new URL('/ws', location.href);
              url.protocol = 'ws:';
              const alice = new SignalingClient(url, { reconnectDelayMs: 100, maxReconnectDelayMs: 500 });
              const bob = new SignalingClient(url);
              window.lib = { alice, bob, received: [] };
              alice.addEventListener('signal', (e) => window.lib.received.push(e.detail.data));
              await alice.connect();
              await alice.join('library');
              await bob.connect();
              await bob.join('library');
            }
            """);
        var aliceSession = await page.EvaluateAsync<string>("() => window.lib.alice.sessionId");

        await page.EvaluateAsync("() => { window.offline = true; }");
        _server.CutOldestSignalingConnection();
        await page.WaitForFunctionAsync("() => window.lib.alice.state === 'reconnecting'");

        // Bob signals Alice while she is away; his join afterwards is answered only once the hub has held them all.
        await page.EvaluateAsync(
            """
            async (count) => {
              const { alice, bob } = window.lib;
              for (let i = 1; i <= count; i++) bob.signal(alice.sessionId, 'app', { data: `m${i}` });
              await bob.join('library');
            }
            """,
            count);
        Assert.Empty(await page.EvaluateAsync<string[]>("() => window.lib.received"));

        await page.EvaluateAsync("() => { window.offline = false; }");
        await page.WaitForFunctionAsync($"() => window.lib.alice.state === 'connected' && window.lib.received.length >= {count}");

        var received = await page.EvaluateAsync<string[]>("() => window.lib.received");
        Assert.Equal(Enumerable.Range(1, count).Select(i => $"m{i}"), received);
        Assert.True(await page.EvaluateAsync<bool>("() => window.lib.alice.welcome.resumed"));
        Assert.Equal(aliceSession, await page.EvaluateAsync<string>("() => window.lib.alice.sessionId"));
        Assert.Equal(1, await page.EvaluateAsync<int>("() => window.lib.alice.reconnects"));

        // The resumed connection named the token and the last sequence seen, and acknowledged the replay every 16 messages.
        var resumedUrl = framesSent.Select(f => f.Url).First(url => url.Contains("resume=", StringComparison.Ordinal));
        Assert.Contains("lastSeq=", resumedUrl, StringComparison.Ordinal);
        List<long> Acks() => framesSent
            .Where(f => f.Url == resumedUrl)
            .Select(f => JsonDocument.Parse(f.Text).RootElement)
            .Where(m => m.GetProperty("type").GetString() == "ack")
            .Select(m => m.GetProperty("through").GetInt64())
            .ToList();
        await Timeouts.Eventually(() => Task.FromResult(Acks().Count >= count / 16), $"Alice acknowledges every 16 messages ({count / 16} acks)");
        var acks = Acks();
        Assert.Equal(acks.Order(), acks);
    }

    /// <summary>
    /// Chromium's opening handshake, its masked frames and a relayed signal between two clients on the listener, on
    /// a port that is not the page's.
    /// </summary>
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
