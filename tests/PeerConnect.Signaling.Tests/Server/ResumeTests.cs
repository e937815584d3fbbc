using PeerConnect.Signaling.Client;
using PeerConnect.Signaling.Protocol;
using PeerConnect.Signaling.Tests.Infrastructure;

namespace PeerConnect.Signaling.Tests.Server;

/// <summary>A dropped connection resumes within the window with nothing lost or repeated; after it, senders hear of the loss.</summary>
public class ResumeTests
{
    /// <summary>Kestrel's <c>/ws</c> here; the WebSocket listener in <see cref="ResumeTestsOverWebSocketListener"/>.</summary>
    protected virtual SignalingServer StartServer(IReadOnlyDictionary<string, string?>? settings = null) => SignalingServer.Start(settings);

    [Theory]
    [InlineData(SignalingSubprotocols.Json)]
    [InlineData(SignalingSubprotocols.Cbor)]
    public async Task RawResumeReplaysEveryMissedMessageOnceInOrder(string encoding)
    {
        await using var server = StartServer();
        var (alice, aliceId, token, bob, bobId) = await RawPair.JoinAsync(server, server, encoding);
        await using var b = bob;

        // Mid-exchange: two signals are in flight when Alice's network goes; she reads only the first.
        await bob.SendJsonAsync($$"""{"type":"signal","to":"{{aliceId}}","kind":"app","data":"0"}""");
        await bob.SendJsonAsync($$"""{"type":"signal","to":"{{aliceId}}","kind":"app","data":"1"}""");
        var lastSeen = (await alice.ExpectAsync("signal")).GetProperty("seq").GetInt64();
        alice.Socket.Abort();
        await alice.DisposeAsync();
        for (var i = 2; i < 6; i++)
        {
            await bob.SendJsonAsync($$"""{"type":"signal","to":"{{aliceId}}","kind":"app","data":"{{i}}"}""");
        }

        await using var resumed = await server.ConnectRawAsync(encoding, $"?resume={Uri.EscapeDataString(token)}&lastSeq={lastSeen}");
        var again = await resumed.ExpectAsync("welcome");
        Assert.True(again.GetProperty("resumed").GetBoolean());
        Assert.Equal(aliceId, again.GetProperty("session").GetString());
        Assert.NotEqual(token, again.GetProperty("resumeToken").GetString());
        for (var i = 1; i < 6; i++)
        {
            var signal = await resumed.ExpectAsync("signal");
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), signal.GetProperty("data").GetString());
            Assert.Equal(lastSeen + i, signal.GetProperty("seq").GetInt64());
            Assert.Equal(bobId, signal.GetProperty("from").GetString());
        }

        // Nothing else was queued for Alice, and Bob saw neither a leave nor a join: both answer a ping straight away.
        await resumed.ExpectAliveAsync();
        await bob.ExpectAliveAsync();
    }

    [Theory]
    [InlineData(SignalingSubprotocols.Json)]
    [InlineData(SignalingSubprotocols.Cbor)]
    public async Task AnAcknowledgementRidingOnASignalReleasesWhatItCovers(string encoding)
    {
        await using var server = StartServer();
        var (alice, aliceId, token, bob, bobId) = await RawPair.JoinAsync(server, server, encoding);
        await using var b = bob;
        await bob.SendJsonAsync($$"""{"type":"signal","to":"{{aliceId}}","kind":"app","data":"0"}""");
        var seen = (await alice.ExpectAsync("signal")).GetProperty("seq").GetInt64();

        await alice.SendJsonAsync($$"""{"type":"signal","to":"{{bobId}}","kind":"app","data":"a","ack":{{seen}}}""");
        var relayed = await bob.ExpectAsync("signal");
        Assert.Equal("a", relayed.GetProperty("data").GetString());
        Assert.False(relayed.TryGetProperty("ack", out _));
        alice.Socket.Abort();
        await alice.DisposeAsync();

        // Everything up to 'seen' is forgotten, so a client claiming to have less cannot resume.
        await using var behind = await server.ConnectRawAsync(encoding, $"?resume={Uri.EscapeDataString(token)}&lastSeq={seen - 1}");
        Assert.False((await behind.ExpectAsync("welcome")).GetProperty("resumed").GetBoolean());
    }

    [Fact]
    public async Task AnUnknownResumeTokenStartsANewSession()
    {
        await using var server = StartServer();
        await using var client = await server.ConnectRawAsync(query: "?resume=nonsense&lastSeq=3");
        var welcome = await client.ExpectAsync("welcome");
        Assert.False(welcome.GetProperty("resumed").GetBoolean());
    }

    [Theory]
    [InlineData(SignalingSubprotocols.Json)]
    [InlineData(SignalingSubprotocols.Cbor)]
    public async Task ClientResumesAutomaticallyAndReceivesEverySignalExactlyOnceInOrder(string encoding)
    {
        await using var server = StartServer();
        await using var alice = await server.ConnectAsync(encoding);
        await using var bob = await server.ConnectAsync(encoding);
        await using var bobInbox = new Inbox(bob);
        await alice.JoinAsync("call");
        await bob.JoinAsync("call");
        var away = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var back = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconnected = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.BeforeReconnect = async ct =>
        {
            away.TrySetResult();
            await back.Task.WaitAsync(ct);
        };
        bob.Reconnected += (_, e) => reconnected.TrySetResult(e.Resumed);

        var sent = 0;
        for (; sent < 10; sent++)
        {
            await alice.SendSignalAsync(bob.SessionId!, new SignalMessage(SignalKind.App) { Data = sent.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        bob.AbortConnection();
        await away.Task.WaitAsync(Timeouts.Generous);
        for (; sent < 30; sent++)
        {
            await alice.SendSignalAsync(bob.SessionId!, new SignalMessage(SignalKind.App) { Data = sent.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        back.SetResult();
        Assert.True(await reconnected.Task.WaitAsync(Timeouts.Generous));
        for (; sent < 40; sent++)
        {
            await alice.SendSignalAsync(bob.SessionId!, new SignalMessage(SignalKind.App) { Data = sent.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        var received = new List<string>();
        while (received.Count < 40)
        {
            received.Add((await bobInbox.NextAsync<SignalMessage>()).Data!);
        }

        Assert.Equal(Enumerable.Range(0, 40).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), received);
        Assert.Equal(SignalingClientState.Connected, bob.State);
    }

    [Fact]
    public async Task AfterTheWindowTheSenderHearsItsSignalsExpiredAndPeersSeeTheLeave()
    {
        await using var server = StartServer(new Dictionary<string, string?>
        {
            ["PeerConnect:Signaling:ResumeWindow"] = "00:00:00.500",
        });
        await using var alice = await server.ConnectAsync();
        await using var aliceInbox = new Inbox(alice);
        await using var bob = await server.ConnectAsync(configure: o => o with { AutoReconnect = false });
        await alice.JoinAsync("call");
        await bob.JoinAsync("call");
        await aliceInbox.NextAsync<PeerJoinedMessage>();

        bob.AbortConnection();
        var first = await alice.SendSignalAsync(bob.SessionId!, new SignalMessage(SignalKind.Offer) { Sdp = "v=0" });
        var second = await alice.SendSignalAsync(bob.SessionId!, new SignalMessage(SignalKind.Candidate) { Candidate = new IceCandidateInit("candidate:1 1 udp 1 192.0.2.1 9 typ host") });

        var expired = new List<ExpiredMessage>();
        var sawLeave = false;
        while (expired.Count < 2 || !sawLeave)
        {
            var message = await NextOfAsync(aliceInbox);
            switch (message)
            {
                case ExpiredMessage e:
                    expired.Add(e);
                    break;
                case PeerLeftMessage left:
                    Assert.Equal(PeerLeftReason.Expired, left.Reason);
                    sawLeave = true;
                    break;
            }
        }

        Assert.Equal([first, second], expired.Select(e => e.Ref!.Value));
        Assert.Equal([SignalKind.Offer, SignalKind.Candidate], expired.Select(e => e.Kind));
        Assert.All(expired, e => Assert.Equal(bob.SessionId, e.To));
    }

    private static async Task<SignalingMessage> NextOfAsync(Inbox inbox) => await inbox.NextAsync<SignalingMessage>();
}

/// <summary>The same tests with clients on the WebSocket-only listener (<c>PeerConnect:Signaling:WebSocketListener</c>).</summary>
public sealed class ResumeTestsOverWebSocketListener : ResumeTests
{
    protected override SignalingServer StartServer(IReadOnlyDictionary<string, string?>? settings = null) =>
        SignalingServer.Start(settings, viaWebSocketListener: true);
}
