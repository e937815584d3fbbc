using PeerConnect.Browser.Tests.Infrastructure;

namespace PeerConnect.Browser.Tests;

/// <summary>Two Chromium tabs call each other through the served page, our signaling server and loopback.</summary>
[Collection(BrowserCollection.Name)]
public sealed class CallTests(BrowserFixture browser) : IAsyncLifetime
{
    private readonly List<CallPage> _pages = [];
    private CallServer _server = null!;

    public Task InitializeAsync()
    {
        _server = CallServer.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var page in _pages)
        {
            await page.CloseAsync();
        }

        await _server.DisposeAsync();
    }

    [Fact]
    public async Task TwoPagesInOneRoomSeeAndHearEachOtherAndChatBothWays()
    {
        var (alice, bob) = await StartCallAsync("both-ways");

        await alice.WaitMediaFlowingAsync();
        await bob.WaitMediaFlowingAsync();

        await alice.SendChatAsync("hello from Alice");
        await bob.WaitForChatAsync("hello from Alice");
        await bob.SendChatAsync("hi Alice, Bob here");
        await alice.WaitForChatAsync("hi Alice, Bob here");
    }

    [Fact]
    public async Task MuteAndCameraOffDisableTheTracksAndHangUpEndsTheCallOnBothSides()
    {
        var (alice, bob) = await StartCallAsync("controls");

        await alice.Page.ClickAsync("#mute");
        await alice.Page.ClickAsync("#camera");
        Assert.Equal("true", await alice.Page.GetAttributeAsync("#mute", "aria-pressed"));
        Assert.Equal("Unmute", await alice.Page.TextContentAsync("#mute .label"));
        Assert.Equal("Camera on", await alice.Page.TextContentAsync("#camera .label"));
        Assert.True(await alice.Page.IsVisibleAsync("#local-camera-off"));
        Assert.False(await alice.Page.EvaluateAsync<bool>("() => window.peerconnectCall.call.pc.getSenders().some((s) => s.track?.enabled)"));
        // A disabled track still sends (black frames, silence): the call goes on.
        await bob.WaitMediaFlowingAsync();

        await alice.Page.ClickAsync("#mute");
        Assert.Equal("Mute", await alice.Page.TextContentAsync("#mute .label"));
        Assert.True(await alice.Page.EvaluateAsync<bool>("() => window.peerconnectCall.call.pc.getSenders().some((s) => s.track?.kind === 'audio' && s.track.enabled)"));

        await alice.Page.ClickAsync("#hangup");
        await bob.WaitAsync("() => window.peerconnectCall.call === null");
        await bob.WaitAsync("() => document.getElementById('remote-message').textContent.includes('Alice hung up')");
        Assert.Equal("closed", await alice.Page.EvaluateAsync<string>("() => window.peerconnectCall.client.state"));
        Assert.True(await alice.Page.IsDisabledAsync("#hangup"));
    }

    [Fact]
    public async Task PagesOpenedAtTheSameTimeConnect()
    {
        var opening = new[] { OpenAsync(_server.RoomUrl("together", "Alice"), "alice"), OpenAsync(_server.RoomUrl("together", "Bob"), "bob") };
        var pages = await Task.WhenAll(opening);
        foreach (var page in pages)
        {
            await page.WaitCallConnectedAsync();
        }

        await pages[0].SendChatAsync("same time");
        await pages[1].WaitForChatAsync("same time");
    }

    [Fact]
    public async Task ScreenshotsOfBothPagesDuringTheCallAreSaved()
    {
        var (alice, bob) = await StartCallAsync("screenshots");
        await alice.SendChatAsync("Can you see me?");
        await bob.WaitForChatAsync("Can you see me?");
        await bob.SendChatAsync("Yes, loud and clear.");
        await alice.WaitForChatAsync("Yes, loud and clear.");

        var paths = new[]
        {
            await alice.ScreenshotAsync("call-alice.png"),
            await bob.ScreenshotAsync("call-bob.png"),
        };

        foreach (var path in paths)
        {
            Assert.True(new FileInfo(path).Length > 10_000, $"{path} looks empty");
        }
    }

    [Fact]
    public async Task CutSignalingConnectionResumesAndTheCallContinues()
    {
        var (alice, bob) = await StartCallAsync("resume");
        await alice.WaitMediaFlowingAsync();
        var aliceSession = await alice.SessionIdAsync();
        // Marks the peer connection objects so we can tell they survived (a restarted call would make new ones).
        await alice.Page.EvaluateAsync("() => { window.originalPc = window.peerconnectCall.call.pc; }");
        await bob.Page.EvaluateAsync("() => { window.originalPc = window.peerconnectCall.call.pc; }");
        Assert.Equal(2, _server.OpenSignalingConnections);

        // Alice opened first, so hers is the oldest connection.
        _server.CutOldestSignalingConnection();

        await alice.WaitAsync("() => window.peerconnectCall.client.reconnects >= 1 && window.peerconnectCall.client.state === 'connected'");
        Assert.True(await alice.Page.EvaluateAsync<bool>("() => window.peerconnectCall.client.welcome.resumed"));
        Assert.Equal(aliceSession, await alice.SessionIdAsync());

        // The call was never torn down: same peer connections, media still flowing, chat both ways.
        Assert.True(await alice.Page.EvaluateAsync<bool>("() => window.peerconnectCall.call.pc === window.originalPc"));
        Assert.True(await bob.Page.EvaluateAsync<bool>("() => window.peerconnectCall.call.pc === window.originalPc"));
        await alice.WaitMediaFlowingAsync();
        await bob.WaitMediaFlowingAsync();
        await bob.SendChatAsync("still there after your reconnect?");
        await alice.WaitForChatAsync("still there after your reconnect?");
        await alice.SendChatAsync("yes, resumed");
        await bob.WaitForChatAsync("yes, resumed");

        // Signaling itself works on the resumed session: an ICE restart from Alice is an offer/answer through the server.
        var bobRemoteBefore = await bob.Page.EvaluateAsync<string>("() => window.peerconnectCall.call.pc.remoteDescription.sdp");
        await alice.Page.EvaluateAsync("() => window.peerconnectCall.call.negotiator.restartIce()");
        await bob.WaitAsync(
            "before => window.peerconnectCall.call.pc.remoteDescription.sdp !== before && window.peerconnectCall.call.pc.signalingState === 'stable'",
            bobRemoteBefore);
        await alice.WaitAsync("() => window.peerconnectCall.call.pc.signalingState === 'stable' && window.peerconnectCall.call.pc.connectionState === 'connected'");
        await bob.WaitMediaFlowingAsync();
        Assert.True(await bob.Page.EvaluateAsync<bool>("() => window.peerconnectCall.call.pc === window.originalPc"));
    }

    /// <summary>Alice opens the room first and waits; Bob joins; both wait for the call to connect.</summary>
    private async Task<(CallPage Alice, CallPage Bob)> StartCallAsync(string room)
    {
        var alice = await OpenAsync(_server.RoomUrl(room, "Alice"), "alice");
        await alice.WaitSignalingConnectedAsync();
        var bob = await OpenAsync(_server.RoomUrl(room, "Bob"), "bob");
        await bob.WaitSignalingConnectedAsync();
        await alice.WaitCallConnectedAsync();
        await bob.WaitCallConnectedAsync();
        return (alice, bob);
    }

    private async Task<CallPage> OpenAsync(string url, string name)
    {
        var page = await CallPage.OpenAsync(browser, url, name);
        lock (_pages)
        {
            _pages.Add(page);
        }

        return page;
    }
}
