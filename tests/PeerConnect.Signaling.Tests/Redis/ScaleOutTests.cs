using System.Globalization;
using System.Net;
using PeerConnect.Signaling.Client;
using PeerConnect.Signaling.Protocol;
using PeerConnect.Signaling.Tests.Infrastructure;

namespace PeerConnect.Signaling.Tests.Redis;

/// <summary>Servers sharing one Redis behave as one server: rooms, relay, resume and failure across them.</summary>
public sealed class ScaleOutTests
{
    [Theory]
    [InlineData(SignalingSubprotocols.Json)]
    [InlineData(SignalingSubprotocols.Cbor)]
    public async Task ClientsOnTwoServersCompleteAnOfferAnswerCandidateExchange(string encoding)
    {
        await using var cluster = await RedisCluster.StartAsync(2);
        await using var caller = await cluster[0].ConnectAsync(encoding);
        await using var callee = await cluster[1].ConnectAsync(encoding);
        await using var callerInbox = new Inbox(caller);
        await using var calleeInbox = new Inbox(callee);
        await callee.JoinAsync("call", "callee");
        var peer = Assert.Single(await caller.JoinAsync("call", "caller"));
        Assert.Equal((callee.SessionId, "callee"), (peer.Id, peer.Name));
        Assert.Equal(caller.SessionId, (await calleeInbox.NextAsync<PeerJoinedMessage>()).Peer.Id);

        await caller.SendSignalAsync(peer.Id, new SignalMessage(SignalKind.Offer) { Sdp = "v=0\r\ns=offer\r\n" });
        await caller.SendSignalAsync(peer.Id, new SignalMessage(SignalKind.Candidate) { Candidate = new IceCandidateInit("candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host", "0", 0) });
        await caller.SendSignalAsync(peer.Id, new SignalMessage(SignalKind.EndOfCandidates));
        var offer = await calleeInbox.NextAsync<SignalMessage>();
        Assert.Equal((SignalKind.Offer, "v=0\r\ns=offer\r\n", caller.SessionId), (offer.Kind, offer.Sdp, offer.From));
        Assert.Equal(SignalKind.Candidate, (await calleeInbox.NextAsync<SignalMessage>()).Kind);
        Assert.Equal(SignalKind.EndOfCandidates, (await calleeInbox.NextAsync<SignalMessage>()).Kind);

        await callee.SendSignalAsync(caller.SessionId!, new SignalMessage(SignalKind.Answer) { Sdp = "v=0\r\ns=answer\r\n" });
        await callee.SendSignalAsync(caller.SessionId!, new SignalMessage(SignalKind.Candidate) { Candidate = new IceCandidateInit("candidate:2 1 udp 2122260223 192.0.2.2 50000 typ host", "0", 0) });
        var answer = await callerInbox.NextAsync<SignalMessage>();
        Assert.Equal((SignalKind.Answer, "v=0\r\ns=answer\r\n", callee.SessionId), (answer.Kind, answer.Sdp, answer.From));
        Assert.Equal("192.0.2.2", (await callerInbox.NextAsync<SignalMessage>()).Candidate!.Candidate.Split(' ')[4]);

        await callee.LeaveAsync("call");
        var left = await callerInbox.NextAsync<PeerLeftMessage>();
        Assert.Equal((callee.SessionId, PeerLeftReason.Left), (left.Peer, left.Reason));
    }

    [Fact]
    public async Task MembershipAndPeerEventsAcrossThreeServersAreThoseOfOneServer()
    {
        await using var cluster = await RedisCluster.StartAsync(3);
        var clients = new List<RawClient>();
        var ids = new List<string>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var client = await cluster[i].ConnectRawAsync();
                clients.Add(client);
                ids.Add((await client.ExpectAsync("welcome")).GetProperty("session").GetString()!);
                await client.SendJsonAsync($$"""{"type":"join","id":1,"room":"trio","name":"n{{i}}"}""");
                var joined = await client.ExpectAsync("joined");
                Assert.Equal(ids.Take(i), joined.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("id").GetString()!));
                Assert.Equal(
                    Enumerable.Range(0, i).Select(n => $"n{n}"),
                    joined.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("name").GetString()!));
                for (var earlier = 0; earlier < i; earlier++)
                {
                    var joinedEvent = await clients[earlier].ExpectAsync("peer-joined");
                    Assert.Equal(ids[i], joinedEvent.GetProperty("peer").GetProperty("id").GetString());
                }
            }

            // A cross-server signal carries the server-stamped sender; a signal to a stranger is refused as on one server.
            await clients[2].SendJsonAsync($$"""{"type":"signal","id":5,"to":"{{ids[0]}}","kind":"app","data":"hi"}""");
            Assert.Equal(ids[2], (await clients[0].ExpectAsync("signal")).GetProperty("from").GetString());
            await clients[2].SendJsonAsync("""{"type":"signal","id":6,"to":"nobody","kind":"app","data":"x"}""");
            Assert.Equal(6, (await clients[2].ExpectErrorAsync("unknown_peer")).GetProperty("ref").GetInt64());

            // A fourth client in another room shares no room with them.
            await using var stranger = await cluster[1].ConnectRawAsync();
            await stranger.ExpectAsync("welcome");
            await stranger.SendJsonAsync("""{"type":"join","room":"elsewhere"}""");
            await stranger.ExpectAsync("joined");
            await stranger.SendJsonAsync($$"""{"type":"signal","id":7,"to":"{{ids[0]}}","kind":"app","data":"x"}""");
            await stranger.ExpectErrorAsync("not_in_room");

            await clients[1].Socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            foreach (var other in (int[])[0, 2])
            {
                var left = await clients[other].ExpectAsync("peer-left");
                Assert.Equal((ids[1], "closed"), (left.GetProperty("peer").GetString(), left.GetProperty("reason").GetString()));
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AClientWhoseServerStopsResumesOnAnotherAndGetsEveryMessageOnceInOrder()
    {
        await using var cluster = await RedisCluster.StartAsync(2);
        var (alice, aliceId, token, bob, bobId) = await RawPair.JoinAsync(cluster[0], cluster[1]);
        await using var b = bob;

        // Mid-exchange: Alice reads the offer, and the answer is on its way when her server goes.
        await bob.SendJsonAsync($$"""{"type":"signal","to":"{{aliceId}}","kind":"offer","sdp":"v=0"}""");
        var lastSeen = (await alice.ExpectAsync("signal")).GetProperty("seq").GetInt64();
        var stopping = cluster.StopServerAsync(0);
        await alice.DisposeAsync();
        await stopping;
        for (var i = 1; i <= 5; i++)
        {
            await bob.SendJsonAsync($$"""{"type":"signal","id":{{i}},"to":"{{aliceId}}","kind":"app","data":"{{i}}"}""");
        }

        await bob.ExpectAliveAsync();
        await using var resumed = await cluster[1].ConnectRawAsync(query: $"?resume={Uri.EscapeDataString(token)}&lastSeq={lastSeen}");
        var again = await resumed.ExpectAsync("welcome");
        Assert.True(again.GetProperty("resumed").GetBoolean());
        Assert.Equal(aliceId, again.GetProperty("session").GetString());
        for (var i = 1; i <= 5; i++)
        {
            var signal = await resumed.ExpectAsync("signal");
            Assert.Equal(i.ToString(CultureInfo.InvariantCulture), signal.GetProperty("data").GetString());
            Assert.Equal(lastSeen + i, signal.GetProperty("seq").GetInt64());
            Assert.Equal(bobId, signal.GetProperty("from").GetString());
        }

        // Still in the room with nothing else queued: the signal back reaches Bob, and Bob saw no leave.
        await resumed.SendJsonAsync($$"""{"type":"signal","to":"{{bobId}}","kind":"answer","sdp":"v=0"}""");
        Assert.Equal(aliceId, (await bob.ExpectAsync("signal")).GetProperty("from").GetString());
        await resumed.ExpectAliveAsync();
    }

    [Fact]
    public async Task ResendsAfterResumingOnAnotherServerAreProcessedOnce()
    {
        await using var cluster = await RedisCluster.StartAsync(2);
        await using var bob = await cluster[1].ConnectRawAsync();
        var bobId = (await bob.ExpectAsync("welcome")).GetProperty("session").GetString();
        var alice = await cluster[0].ConnectRawAsync();
        var token = (await alice.ExpectAsync("welcome")).GetProperty("resumeToken").GetString()!;
        await alice.SendJsonAsync("""{"type":"join","cseq":1,"room":"r"}""");
        await alice.ExpectAsync("joined");
        await bob.SendJsonAsync("""{"type":"join","room":"r"}""");
        await bob.ExpectAsync("joined");
        var lastSeen = (await alice.ExpectAsync("peer-joined")).GetProperty("seq").GetInt64();
        await alice.SendJsonAsync($$"""{"type":"signal","cseq":2,"to":"{{bobId}}","kind":"app","data":"a"}""");
        Assert.Equal("a", (await bob.ExpectAsync("signal")).GetProperty("data").GetString());

        // Alice's server goes; she resumes on the other one, which must know that cseq 2 was already processed.
        var stopping = cluster.StopServerAsync(0);
        await alice.DisposeAsync();
        await stopping;
        await using var resumed = await cluster[1].ConnectRawAsync(query: $"?resume={Uri.EscapeDataString(token)}&lastSeq={lastSeen}");
        var welcome = await resumed.ExpectAsync("welcome");
        Assert.True(welcome.GetProperty("resumed").GetBoolean());
        Assert.Equal(2, welcome.GetProperty("ack").GetInt64());
        await resumed.SendJsonAsync($$"""{"type":"signal","cseq":2,"to":"{{bobId}}","kind":"app","data":"a"}""");
        await resumed.SendJsonAsync($$"""{"type":"signal","cseq":3,"to":"{{bobId}}","kind":"app","data":"b"}""");
        Assert.Equal("b", (await bob.ExpectAsync("signal")).GetProperty("data").GetString());
        await bob.ExpectAliveAsync();
    }

    [Fact]
    public async Task WhenAServerDiesItsMembersExpireAndTheOthersGetPeerLeft()
    {
        await using var cluster = await RedisCluster.StartAsync(2, new Dictionary<string, string?>
        {
            ["PeerConnect:Signaling:PresenceTimeout"] = "00:00:01",
            ["PeerConnect:Signaling:ResumeWindow"] = "00:00:02",
        });
        await using var bob = await cluster[1].ConnectRawAsync();
        await bob.ExpectAsync("welcome");
        await using var alice = await cluster[0].ConnectRawAsync();
        var aliceId = (await alice.ExpectAsync("welcome")).GetProperty("session").GetString();
        await alice.SendJsonAsync("""{"type":"join","room":"r"}""");
        await alice.ExpectAsync("joined");
        await bob.SendJsonAsync("""{"type":"join","room":"r"}""");
        await bob.ExpectAsync("joined");
        await alice.ExpectAsync("peer-joined");
        await bob.SendJsonAsync($$"""{"type":"signal","id":9,"to":"{{aliceId}}","kind":"offer","sdp":"v=0"}""");
        await alice.ExpectAsync("signal");

        var stopping = cluster.StopServerAsync(0);
        await alice.DisposeAsync();
        await stopping;
        var left = await bob.ExpectAsync("peer-left");
        Assert.Equal((aliceId, "expired"), (left.GetProperty("peer").GetString(), left.GetProperty("reason").GetString()));

        // Alice never acknowledged the offer, so Bob hears it expired, as on one server.
        var expired = await bob.ExpectAsync("expired");
        Assert.Equal(9, expired.GetProperty("ref").GetInt64());
    }

    [Fact]
    public async Task WithRedisDownJoinsAreRefusedLocalDeliveryGoesOnAndEverythingRecovers()
    {
        await using var cluster = await RedisCluster.StartAsync(2);
        using var http = cluster[0].CreateHttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
        var (alice, aliceId) = await JoinedAsync(cluster[0], "r");
        var (carol, carolId) = await JoinedAsync(cluster[0], "r");
        var (bob, bobId) = await JoinedAsync(cluster[1], "r");
        await using var a = alice;
        await using var c = carol;
        await using var b = bob;
        await alice.ExpectAsync("peer-joined");
        await alice.ExpectAsync("peer-joined");
        await carol.ExpectAsync("peer-joined");

        await cluster.Redis.StopAsync();
        await EventuallyAsync(async () => (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode == HttpStatusCode.ServiceUnavailable);
        await alice.SendJsonAsync("""{"type":"join","id":3,"room":"new"}""");
        Assert.Equal(3, (await alice.ExpectErrorAsync("unavailable")).GetProperty("ref").GetInt64());
        await alice.SendJsonAsync($$"""{"type":"signal","to":"{{carolId}}","kind":"app","data":"local"}""");
        var local = await carol.ExpectAsync("signal");
        Assert.Equal((aliceId, "local"), (local.GetProperty("from").GetString(), local.GetProperty("data").GetString()));
        await alice.SendJsonAsync($$"""{"type":"signal","id":4,"to":"{{bobId}}","kind":"app","data":"far"}""");
        await alice.ExpectErrorAsync("unavailable");

        // Redis comes back empty; the servers write their sessions and rooms back by themselves.
        await cluster.Redis.StartAgainAsync();
        await EventuallyAsync(async () => (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode == HttpStatusCode.OK);
        using var http1 = cluster[1].CreateHttpClient();
        await EventuallyAsync(async () => (await http1.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode == HttpStatusCode.OK);
        await using (var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(cluster.Redis.ConnectionString))
        {
            await EventuallyAsync(async () => await redis.GetDatabase().SortedSetLengthAsync("pc:r:r") == 3);
        }

        await bob.SendJsonAsync($$"""{"type":"signal","to":"{{aliceId}}","kind":"app","data":"back"}""");
        Assert.Equal(bobId, (await alice.ExpectAsync("signal")).GetProperty("from").GetString());
        await alice.SendJsonAsync("""{"type":"join","id":6,"room":"new"}""");
        Assert.Equal(6, (await alice.ExpectAsync("joined")).GetProperty("ref").GetInt64());
        await carol.SendJsonAsync($$"""{"type":"signal","to":"{{bobId}}","kind":"app","data":"again"}""");
        Assert.Equal(carolId, (await bob.ExpectAsync("signal")).GetProperty("from").GetString());
    }

    [Fact]
    public async Task AcknowledgementsOnAnyServerTrimTheSharedLog()
    {
        await using var pair = await PairAsync();
        var (cluster, alice, aliceId, bob, bobId) = pair;
        long seen = 0;
        for (var i = 0; i < 3; i++)
        {
            await bob.SendJsonAsync($$"""{"type":"signal","to":"{{aliceId}}","kind":"app","data":"{{i}}"}""");
            seen = (await alice.ExpectAsync("signal")).GetProperty("seq").GetInt64();
        }

        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(cluster.Redis.ConnectionString);
        var log = "pc:l:" + aliceId;
        Assert.Equal(seen, await redis.GetDatabase().ListLengthAsync(log));

        // One acknowledgement on a signal, one in an ack message: the log empties either way.
        await alice.SendJsonAsync($$"""{"type":"signal","to":"{{bobId}}","kind":"app","data":"a","ack":{{seen - 1}}}""");
        await bob.ExpectAsync("signal");
        await EventuallyAsync(async () => await redis.GetDatabase().ListLengthAsync(log) == 1);
        await alice.SendJsonAsync($$"""{"type":"ack","through":{{seen}}}""");
        await EventuallyAsync(async () => await redis.GetDatabase().ListLengthAsync(log) == 0);
    }

    [Fact]
    public async Task ABurstAcrossServersArrivesOnceAndInOrderInFewerScriptCallsThanSignals()
    {
        const int Signals = 100;
        await using var pair = await PairAsync();
        var (cluster, alice, aliceId, bob, _) = pair;
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(cluster.Redis.ConnectionString + ",allowAdmin=true");
        var store = redis.GetServer(cluster.Redis.ConnectionString);
        await store.ConfigResetStatisticsAsync();

        for (var i = 0; i < Signals; i++)
        {
            await bob.SendJsonAsync($$"""{"type":"signal","to":"{{aliceId}}","kind":"app","data":"{{i}}"}""");
        }

        long? previous = null;
        for (var i = 0; i < Signals; i++)
        {
            var signal = await alice.ExpectAsync("signal");
            Assert.Equal(i.ToString(CultureInfo.InvariantCulture), signal.GetProperty("data").GetString());
            var seq = signal.GetProperty("seq").GetInt64();
            Assert.True(previous is null || seq == previous + 1, $"seq {seq} after {previous}");
            previous = seq;
        }

        // Signals routed while a routing call was out went in the next call, not in one call each.
        var calls = (await store.InfoAsync("commandstats")).SelectMany(group => group)
            .Where(stat => stat.Key is "cmdstat_evalsha" or "cmdstat_eval")
            .Sum(stat => long.Parse(stat.Value.Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture));
        Assert.InRange(calls, 1, Signals - 1);
    }

    /// <summary>Two servers on one Redis, Alice on the first and Bob on the second, both in room <c>r</c>.</summary>
    private static async Task<TwoServerPair> PairAsync()
    {
        var cluster = await RedisCluster.StartAsync(2);
        var (alice, aliceId) = await JoinedAsync(cluster[0], "r");
        var (bob, bobId) = await JoinedAsync(cluster[1], "r");
        await alice.ExpectAsync("peer-joined");
        return new TwoServerPair(cluster, alice, aliceId, bob, bobId);
    }

    private static async Task<(RawClient Client, string Id)> JoinedAsync(SignalingServer server, string room)
    {
        var client = await server.ConnectRawAsync();
        var id = (await client.ExpectAsync("welcome")).GetProperty("session").GetString()!;
        await client.SendJsonAsync($$"""{"type":"join","room":"{{room}}"}""");
        await client.ExpectAsync("joined");
        return (client, id);
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(Timeouts.Generous);
        while (!await condition())
        {
            await Task.Delay(100, deadline.Token);
        }
    }

    private sealed record TwoServerPair(RedisCluster Cluster, RawClient Alice, string AliceId, RawClient Bob, string BobId) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Alice.DisposeAsync();
            await Bob.DisposeAsync();
            await Cluster.DisposeAsync();
        }
    }
}
