using System.Text.Json;
using Microsoft.Playwright;

namespace PeerConnect.Browser.Tests.Infrastructure;

/// <summary>One tab showing the call page, and what tests read from it (the page exposes <c>window.peerconnectCall</c>).</summary>
public sealed class CallPage(IPage page, string name)
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _console = new();

    public IPage Page { get; } = page;

    public string Name { get; } = name;

    public static async Task<CallPage> OpenAsync(BrowserFixture browser, string url, string name)
    {
        var page = await browser.NewPageAsync();
        var call = new CallPage(page, name);
        page.Console += (_, message) => call._console.Enqueue($"{message.Type}: {message.Text}");
        page.PageError += (_, error) => call._console.Enqueue($"page error: {error}");
        await page.GotoAsync(url);
        return call;
    }

    /// <summary>Waits until the page has a signaling session and returns its id.</summary>
    public async Task<string> WaitSignalingConnectedAsync()
    {
        await WaitAsync("() => window.peerconnectCall?.client?.state === 'connected'");
        return await SessionIdAsync();
    }

    public Task<string> SessionIdAsync() => Page.EvaluateAsync<string>("() => window.peerconnectCall.client.sessionId");

    /// <summary>Waits until the peer connection is connected and the remote video element shows frames.</summary>
    public async Task WaitCallConnectedAsync()
    {
        await WaitAsync("() => window.peerconnectCall?.call?.pc.connectionState === 'connected'");
        await WaitAsync("() => document.getElementById('remote-video').videoWidth > 0");
    }

    /// <summary>Waits for a JavaScript predicate; on timeout the exception carries the page's state and console.</summary>
    public async Task WaitAsync(string predicate, object? arg = null)
    {
        try
        {
            await Page.WaitForFunctionAsync(predicate, arg);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{Name}: {predicate} did not hold.\n{await DescribeAsync()}", e);
        }
    }

    /// <summary>Signaling and peer connection state plus console output, for failure messages.</summary>
    public async Task<string> DescribeAsync()
    {
        string state;
        try
        {
            state = await Page.EvaluateAsync<string>("""
                () => {
                  const { client, call } = window.peerconnectCall ?? {};
                  return JSON.stringify({
                    signaling: client?.state, session: client?.sessionId, reconnects: client?.reconnects,
                    peer: call?.peer.id, polite: call?.negotiator.polite, pc: call && {
                      signaling: call.pc.signalingState, ice: call.pc.iceConnectionState,
                      gathering: call.pc.iceGatheringState, connection: call.pc.connectionState },
                    overlay: document.getElementById('remote-message')?.textContent,
                  });
                }
                """);
        }
        catch (PlaywrightException e)
        {
            state = $"(state unreadable: {e.Message})";
        }

        return $"state: {state}\nconsole:\n  {string.Join("\n  ", _console)}";
    }

    /// <summary>Inbound media counters of the current call from <c>getStats()</c>.</summary>
    public async Task<InboundMedia> ReadInboundAsync()
    {
        var json = await Page.EvaluateAsync<JsonElement>("""
            async () => {
              const report = await window.peerconnectCall.call.pc.getStats();
              const media = { framesDecoded: 0, audioPackets: 0 };
              report.forEach((s) => {
                if (s.type === 'inbound-rtp' && s.kind === 'video') media.framesDecoded = s.framesDecoded ?? 0;
                if (s.type === 'inbound-rtp' && s.kind === 'audio') media.audioPackets = s.packetsReceived ?? 0;
              });
              return media;
            }
            """);
        return new InboundMedia(json.GetProperty("framesDecoded").GetInt64(), json.GetProperty("audioPackets").GetInt64());
    }

    /// <summary>Reads inbound counters twice and waits until video frames and audio packets have both grown.</summary>
    public async Task WaitMediaFlowingAsync()
    {
        var first = await ReadInboundAsync();
        await Timeouts.Eventually(async () =>
        {
            var now = await ReadInboundAsync();
            return now.FramesDecoded > first.FramesDecoded && now.AudioPackets > first.AudioPackets;
        }, $"{Name} decodes more video frames and receives more audio packets than {first}");
    }

    /// <summary>Types a message into the chat box and sends it with Enter.</summary>
    public async Task SendChatAsync(string text)
    {
        var input = Page.Locator("#chat-input");
        await Microsoft.Playwright.Assertions.Expect(input).ToBeEnabledAsync(new() { Timeout = (float)Timeouts.Generous.TotalMilliseconds });
        await input.FillAsync(text);
        await input.PressAsync("Enter");
    }

    /// <summary>Waits until a message from the peer with exactly this text is in the chat log.</summary>
    public Task WaitForChatAsync(string text) =>
        Page.Locator("#chat-log li.theirs .text").Filter(new() { HasTextRegex = new($"^{System.Text.RegularExpressions.Regex.Escape(text)}$") })
            .WaitForAsync();

    /// <summary>Our side of the selected pair: candidate type (host, srflx, prflx, relay) and, for relay, the TURN server URL.</summary>
    public async Task<(string? Type, string? Url)> SelectedLocalCandidateAsync()
    {
        var json = await Page.EvaluateAsync<JsonElement>("""
            async () => {
              const report = await window.peerconnectCall.call.pc.getStats();
              let pair = null;
              report.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId); });
              const local = pair && report.get(pair.localCandidateId);
              return { type: local?.candidateType ?? null, url: local?.url ?? null };
            }
            """);
        return (json.GetProperty("type").GetString(), json.GetProperty("url").GetString());
    }

    /// <summary>Waits until the status panel shows a candidate pair and a round-trip time, then saves a screenshot.</summary>
    public async Task<string> ScreenshotAsync(string fileName)
    {
        await WaitAsync("() => !['', '–'].includes(document.getElementById('st-rtt').textContent) && !['', '–'].includes(document.getElementById('st-in').textContent)");
        var path = Path.Combine(Artifacts.ScreenshotDirectory, fileName);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        return path;
    }

    public async Task CloseAsync() => await Page.Context.CloseAsync();
}

public readonly record struct InboundMedia(long FramesDecoded, long AudioPackets);
