using System.Net;
using System.Net.Sockets;
using PeerConnect.Browser.Tests.Infrastructure;

namespace PeerConnect.Browser.Tests;

/// <summary>Both tabs may only use TURN relays (<c>?relay=1</c>): media and chat go through our embedded TURN server.</summary>
[Collection(BrowserCollection.Name)]
public sealed class RelayCallTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string TurnUser = "browser-test";
    private const string TurnPassword = "relay-only-secret";
    private readonly List<CallPage> _pages = [];
    private CallServer _server = null!;
    private int _turnPort;

    public Task InitializeAsync()
    {
        var port = _turnPort = FreeUdpAndTcpPort();
        _server = CallServer.Start(new Dictionary<string, string?>
        {
            ["PeerConnect:Turn:Enabled"] = "true",
            ["PeerConnect:Turn:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PeerConnect:Turn:ListenAddresses:0"] = "127.0.0.1",
            // Short, so that over UDP the challenge fits the amplification limit below.
            ["PeerConnect:Turn:Realm"] = "pc",
            // A browser's first Allocate is about 30 bytes and the challenge about 60-90: allow three times the request.
            ["PeerConnect:Turn:UnauthenticatedAmplificationLimit"] = "3",
            [$"PeerConnect:Turn:Users:{TurnUser}"] = TurnPassword,
            // Both browsers live on this machine, so the relayed peers are loopback addresses.
            ["PeerConnect:Turn:AllowLoopbackPeers"] = "true",
            ["PeerConnect:Signaling:IceServers:0:Urls:0"] = $"turn:127.0.0.1:{port}?transport=udp",
            ["PeerConnect:Signaling:IceServers:0:Username"] = TurnUser,
            ["PeerConnect:Signaling:IceServers:0:Credential"] = TurnPassword,
        });
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
    public async Task RelayOnlyPagesConnectThroughOurTurnServerAndMediaFlows()
    {
        // Relay candidates only: the selected pair can only be relay <-> relay, both allocated on our TURN server.
        var alice = await OpenAsync(_server.RoomUrl("relayed", "Alice", relay: true), "alice");
        await alice.WaitSignalingConnectedAsync();
        var bob = await OpenAsync(_server.RoomUrl("relayed", "Bob", relay: true), "bob");
        await bob.WaitSignalingConnectedAsync();
        await alice.WaitCallConnectedAsync();
        await bob.WaitCallConnectedAsync();

        foreach (var page in new[] { alice, bob })
        {
            var (type, url) = await page.SelectedLocalCandidateAsync();
            Assert.Equal("relay", type);
            Assert.StartsWith($"turn:127.0.0.1:{_turnPort}", url, StringComparison.Ordinal);
        }

        await alice.WaitMediaFlowingAsync();
        await bob.WaitMediaFlowingAsync();
        await alice.SendChatAsync("relayed hello");
        await bob.WaitForChatAsync("relayed hello");
        await bob.SendChatAsync("relayed hello back");
        await alice.WaitForChatAsync("relayed hello back");
        await alice.ScreenshotAsync("relay-alice.png");
        await bob.ScreenshotAsync("relay-bob.png");
    }

    private async Task<CallPage> OpenAsync(string url, string name)
    {
        var page = await CallPage.OpenAsync(browser, url, name);
        _pages.Add(page);
        return page;
    }

    /// <summary>A loopback port free for both UDP and TCP right now (the TURN listener takes both).</summary>
    private static int FreeUdpAndTcpPort()
    {
        while (true)
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)udp.LocalEndPoint!).Port;
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken for TCP; try another.
            }
        }
    }
}
