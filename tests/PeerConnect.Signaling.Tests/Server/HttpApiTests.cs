using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PeerConnect.Signaling.Protocol;
using PeerConnect.Signaling.Tests.Infrastructure;

namespace PeerConnect.Signaling.Tests.Server;

/// <summary>The HTTP APIs beside the WebSocket: ICE servers, health and metrics.</summary>
public sealed class HttpApiTests
{
    [Fact]
    public async Task IceServersDefaultToTheEmbeddedStunListener()
    {
        await using var server = SignalingServer.Start();
        using var http = server.CreateHttpClient();
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/ice-servers", UriKind.Relative)));
        var entry = Assert.Single(document.RootElement.EnumerateArray());
        Assert.Equal("stun:127.0.0.1:3478", entry.GetProperty("urls")[0].GetString());
        Assert.False(entry.TryGetProperty("username", out _));
    }

    [Fact]
    public async Task TurnEntriesCarryRestCredentialsFromTheSharedSecret()
    {
        await using var server = SignalingServer.Start(new Dictionary<string, string?>
        {
            ["PeerConnect:Turn:AuthSecret"] = "north-pole-secret",
            ["PeerConnect:Signaling:IceServers:0:Urls:0"] = "stun:stun.test:3478",
            ["PeerConnect:Signaling:IceServers:1:Urls:0"] = "turn:turn.test:3478?transport=udp",
            ["PeerConnect:Signaling:IceServers:1:Urls:1"] = "turn:turn.test:3478?transport=tcp",
            ["PeerConnect:Signaling:IceServers:2:Urls:0"] = "turn:static.test:3478",
            ["PeerConnect:Signaling:IceServers:2:Username"] = "fixed",
            ["PeerConnect:Signaling:IceServers:2:Credential"] = "pw",
        });
        using var http = server.CreateHttpClient();
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/ice-servers", UriKind.Relative)));
        var entries = document.RootElement.EnumerateArray().ToList();

        Assert.Equal(3, entries.Count);
        Assert.False(entries[0].TryGetProperty("username", out _));
        var username = entries[1].GetProperty("username").GetString()!;
        var parts = username.Split(':');
        Assert.Equal("anonymous", parts[1]);
        var expiry = DateTimeOffset.FromUnixTimeSeconds(long.Parse(parts[0], CultureInfo.InvariantCulture));
        Assert.InRange(expiry, DateTimeOffset.UtcNow.AddMinutes(50), DateTimeOffset.UtcNow.AddMinutes(70));
        var expected = Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes("north-pole-secret"), Encoding.UTF8.GetBytes(username)));
        Assert.Equal(expected, entries[1].GetProperty("credential").GetString());
        Assert.Equal("fixed", entries[2].GetProperty("username").GetString());
    }

    [Fact]
    public async Task WelcomeHandsEachSessionItsOwnTurnCredentials()
    {
        await using var server = SignalingServer.Start(new Dictionary<string, string?>
        {
            ["PeerConnect:Turn:AuthSecret"] = "north-pole-secret",
            ["PeerConnect:Signaling:IceServers:0:Urls:0"] = "turn:turn.test:3478",
        });
        await using var client = await server.ConnectAsync();
        var turn = Assert.Single(client.IceServers);
        Assert.EndsWith(":" + client.SessionId, turn.Username, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetricsShowSignalingActivity()
    {
        await using var server = SignalingServer.Start();
        await using (var alice = await server.ConnectAsync())
        await using (var bob = await server.ConnectAsync())
        await using (var bobInbox = new Inbox(bob))
        {
            await alice.JoinAsync("m");
            await bob.JoinAsync("m");
            await alice.SendSignalAsync(bob.SessionId!, new SignalMessage(SignalKind.Renegotiate));
            await bobInbox.NextAsync<SignalMessage>();
            await Assert.ThrowsAsync<PeerConnect.Signaling.Client.SignalingException>(() => alice.LeaveAsync("nowhere"));

            using var http = server.CreateHttpClient();
            string text;
            do
            {
                // The exporter caches a scrape briefly; ask until it includes this test's activity.
                await Task.Delay(100);
                using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                text = await response.Content.ReadAsStringAsync();
            }
            while (!text.Contains("peerconnect_signaling_relay_duration", StringComparison.Ordinal));

            Assert.Contains("peerconnect_signaling_connections", text, StringComparison.Ordinal);
            Assert.Contains("peerconnect_signaling_rooms", text, StringComparison.Ordinal);
            Assert.Contains("peerconnect_signaling_messages_received", text, StringComparison.Ordinal);
            Assert.Contains("peerconnect_signaling_errors", text, StringComparison.Ordinal);
        }
    }
}
