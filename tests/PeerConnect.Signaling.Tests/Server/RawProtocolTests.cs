using System.Text.Json;
using PeerConnect.Signaling.Protocol;
using PeerConnect.Signaling.Tests.Infrastructure;

namespace PeerConnect.Signaling.Tests.Server;

/// <summary>
/// Every message of docs/signaling-protocol.md, sent as hand-written frames from a bare WebSocket and checked
/// without our codec, in JSON and in CBOR.
/// </summary>
public class RawProtocolTests : IAsyncLifetime
{
    /// <summary>Kestrel's <c>/ws</c> here; the WebSocket listener in <see cref="RawProtocolTestsOverWebSocketListener"/>.</summary>
    protected virtual SignalingServer StartServer(IReadOnlyDictionary<string, string?>? settings = null) => SignalingServer.Start(settings);

    private SignalingServer _server = null!;

    public static TheoryData<string> Encodings => new() { SignalingSubprotocols.Json, SignalingSubprotocols.Cbor };

    public Task InitializeAsync()
    {
        _server = StartServer(new Dictionary<string, string?>
        {
            ["PeerConnect:Signaling:MaxMembersPerRoom"] = "2",
            ["PeerConnect:Signaling:MaxRoomsPerSession"] = "2",
            ["PeerConnect:Signaling:MaxMessageBytes"] = "2048",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task ServerGreetsFirstWithWelcome(string encoding)
    {
        await using var client = await _server.ConnectRawAsync(encoding);
        var welcome = await client.ExpectAsync("welcome");
        Assert.Equal(encoding, client.Socket.SubProtocol);
        Assert.Equal(0, welcome.GetProperty("seq").GetInt64());
        Assert.False(string.IsNullOrEmpty(welcome.GetProperty("session").GetString()));
        Assert.True(welcome.GetProperty("resumeToken").GetString()!.Length >= 32);
        Assert.False(welcome.GetProperty("resumed").GetBoolean());
        Assert.Equal(1000, welcome.GetProperty("heartbeatMs").GetInt64());
        Assert.Equal(10000, welcome.GetProperty("idleTimeoutMs").GetInt64());
        Assert.Equal(20000, welcome.GetProperty("resumeWindowMs").GetInt64());
        Assert.Equal(2048, welcome.GetProperty("maxMessageBytes").GetInt64());
        var urls = welcome.GetProperty("iceServers")[0].GetProperty("urls");
        Assert.Equal("stun:127.0.0.1:3478", urls[0].GetString());
    }

    [Fact]
    public async Task JsonIsTheDefaultWhenNoSubprotocolIsAsked()
    {
        await using var client = await _server.ConnectRawAsync(subprotocol: null);
        var (type, payload) = await client.ReceiveFrameAsync();
        Assert.Equal(System.Net.WebSockets.WebSocketMessageType.Text, type);
        Assert.Equal("welcome", JsonDocument.Parse(payload).RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public async Task CborPingWrittenByHandGetsAPong()
    {
        await using var client = await _server.ConnectRawAsync(SignalingSubprotocols.Cbor);
        await client.ExpectAsync("welcome");
        // {"type":"ping","ack":0}: map(2), text(4) "type", text(4) "ping", text(3) "ack", unsigned(0)
        await client.SendBinaryAsync(Convert.FromHexString("A2" + "64" + "74797065" + "64" + "70696E67" + "63" + "61636B" + "00"));
        var pong = await client.ReceiveAnyJsonAsync();
        Assert.Equal("pong", pong.GetProperty("type").GetString());
        Assert.Equal(0, pong.GetProperty("seq").GetInt64());
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task PingIsAnsweredWithPongCarryingTheLatestSequence(string encoding)
    {
        await using var client = await _server.ConnectRawAsync(encoding);
        await client.ExpectAsync("welcome");
        await client.SendJsonAsync("""{"type":"join","id":1,"room":"p"}""");
        await client.ExpectAsync("joined");
        await client.SendJsonAsync("""{"type":"ping","ack":1}""");
        JsonElement pong;
        do
        {
            pong = await client.ReceiveAnyJsonAsync();
        }
        while (pong.GetProperty("type").GetString() == "ping");

        Assert.Equal("pong", pong.GetProperty("type").GetString());
        Assert.Equal(1, pong.GetProperty("seq").GetInt64());
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task ServerSendsPingsAtTheHeartbeatInterval(string encoding)
    {
        await using var client = await _server.ConnectRawAsync(encoding);
        await client.ExpectAsync("welcome");
        var ping = await client.ReceiveAnyJsonAsync();
        Assert.Equal("ping", ping.GetProperty("type").GetString());
        Assert.Equal(0, ping.GetProperty("seq").GetInt64());
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task RoomLifecycleFramesCarryRefsAndSequenceNumbers(string encoding)
    {
        await using var alice = await _server.ConnectRawAsync(encoding);
        await using var bob = await _server.ConnectRawAsync(encoding);
        var aliceId = (await alice.ExpectAsync("welcome")).GetProperty("session").GetString();
        var bobId = (await bob.ExpectAsync("welcome")).GetProperty("session").GetString();

        await alice.SendJsonAsync("""{"type":"join","id":7,"room":"r1","name":"Alice","metadata":{"lang":"en"}}""");
        var aliceJoined = await alice.ExpectAsync("joined");
        Assert.Equal(7, aliceJoined.GetProperty("ref").GetInt64());
        Assert.Equal(1, aliceJoined.GetProperty("seq").GetInt64());
        Assert.Equal("r1", aliceJoined.GetProperty("room").GetString());
        Assert.Equal(0, aliceJoined.GetProperty("members").GetArrayLength());

        await bob.SendJsonAsync("""{"type":"join","id":1,"room":"r1"}""");
        var members = (await bob.ExpectAsync("joined")).GetProperty("members");
        Assert.Equal(aliceId, members[0].GetProperty("id").GetString());
        Assert.Equal(aliceId, members[0].GetProperty("user").GetString());
        Assert.Equal("Alice", members[0].GetProperty("name").GetString());
        Assert.Equal("en", members[0].GetProperty("metadata").GetProperty("lang").GetString());

        var peerJoined = await alice.ExpectAsync("peer-joined");
        Assert.Equal(2, peerJoined.GetProperty("seq").GetInt64());
        Assert.Equal(bobId, peerJoined.GetProperty("peer").GetProperty("id").GetString());

        await bob.SendJsonAsync("""{"type":"leave","id":2,"room":"r1"}""");
        var left = await bob.ExpectAsync("left");
        Assert.Equal(2, left.GetProperty("ref").GetInt64());
        var peerLeft = await alice.ExpectAsync("peer-left");
        Assert.Equal(bobId, peerLeft.GetProperty("peer").GetString());
        Assert.Equal("left", peerLeft.GetProperty("reason").GetString());
        Assert.Equal(3, peerLeft.GetProperty("seq").GetInt64());
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task SignalIsDeliveredWithTheServerStampedSender(string encoding)
    {
        var (alice, aliceId, bob, bobId) = await PairAsync(encoding, "s1");
        await using (alice)
        await using (bob)
        {
            await alice.SendJsonAsync($$$"""{"type":"signal","id":5,"to":"{{{bobId}}}","kind":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 192.0.2.1 1 typ host","sdpMid":"0","sdpMLineIndex":0}}""");
            var signal = await bob.ExpectAsync("signal");
            Assert.Equal(aliceId, signal.GetProperty("from").GetString());
            Assert.Equal("candidate", signal.GetProperty("kind").GetString());
            Assert.Equal("0", signal.GetProperty("candidate").GetProperty("sdpMid").GetString());
            Assert.False(signal.TryGetProperty("to", out _));
            Assert.False(signal.TryGetProperty("id", out _));
        }
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task ForgedSenderIsRefusedAsBadMessage(string encoding)
    {
        var (alice, _, bob, bobId) = await PairAsync(encoding, "forge");
        await using (alice)
        await using (bob)
        {
            await alice.SendJsonAsync($$"""{"type":"signal","id":9,"to":"{{bobId}}","from":"{{bobId}}","kind":"renegotiate"}""");
            var error = await alice.ExpectErrorAsync("bad_message");
            Assert.Equal(9, error.GetProperty("ref").GetInt64());
            await bob.ExpectAliveAsync();
        }
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task SignalToANonMemberIsRefusedWithNotInRoom(string encoding)
    {
        await using var alice = await _server.ConnectRawAsync(encoding);
        await using var carol = await _server.ConnectRawAsync(encoding);
        await alice.ExpectAsync("welcome");
        var carolId = (await carol.ExpectAsync("welcome")).GetProperty("session").GetString();
        await alice.SendJsonAsync("""{"type":"join","room":"a-room"}""");
        await alice.ExpectAsync("joined");
        await carol.SendJsonAsync("""{"type":"join","room":"c-room"}""");
        await carol.ExpectAsync("joined");

        await alice.SendJsonAsync($$"""{"type":"signal","id":3,"to":"{{carolId}}","kind":"offer","sdp":"v=0"}""");

        Assert.Equal(3, (await alice.ExpectErrorAsync("not_in_room")).GetProperty("ref").GetInt64());
        await carol.ExpectAliveAsync();
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task SignalToNobodyIsRefusedWithUnknownPeer(string encoding)
    {
        await using var alice = await _server.ConnectRawAsync(encoding);
        await alice.ExpectAsync("welcome");
        await alice.SendJsonAsync("""{"type":"signal","to":"no-such-peer","kind":"hangup"}""");
        await alice.ExpectErrorAsync("unknown_peer");
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task LeavingARoomNotJoinedIsNotInRoom(string encoding)
    {
        await using var alice = await _server.ConnectRawAsync(encoding);
        await alice.ExpectAsync("welcome");
        await alice.SendJsonAsync("""{"type":"leave","id":4,"room":"elsewhere"}""");
        Assert.Equal(4, (await alice.ExpectErrorAsync("not_in_room")).GetProperty("ref").GetInt64());
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task AFullRoomRefusesWithRoomFull(string encoding)
    {
        var (alice, _, bob, _) = await PairAsync(encoding, "full");
        await using (alice)
        await using (bob)
        {
            await using var carol = await _server.ConnectRawAsync(encoding);
            await carol.ExpectAsync("welcome");
            await carol.SendJsonAsync("""{"type":"join","id":1,"room":"full"}""");
            await carol.ExpectErrorAsync("room_full");
        }
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task TooManyRoomsForOneSessionIsLimitExceeded(string encoding)
    {
        await using var alice = await _server.ConnectRawAsync(encoding);
        await alice.ExpectAsync("welcome");
        foreach (var room in new[] { "x1", "x2" })
        {
            await alice.SendJsonAsync($$"""{"type":"join","room":"{{room}}"}""");
            await alice.ExpectAsync("joined");
        }

        await alice.SendJsonAsync("""{"type":"join","room":"x3"}""");
        await alice.ExpectErrorAsync("limit_exceeded");
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task AnOversizeMessageIsRefusedWithTooLargeAndTheConnectionStays(string encoding)
    {
        await using var alice = await _server.ConnectRawAsync(encoding);
        await alice.ExpectAsync("welcome");
        await alice.SendJsonAsync($$"""{"type":"signal","to":"x","kind":"app","data":"{{new string('a', 5000)}}"}""");
        await alice.ExpectErrorAsync("too_large");
        await alice.ExpectAliveAsync();
    }

    [Theory]
    [InlineData(SignalingSubprotocols.Json, "{\"type\":")]
    [InlineData(SignalingSubprotocols.Json, "[1,2]")]
    [InlineData(SignalingSubprotocols.Json, "{\"type\":\"ping\",\"ack\":1.5}")]
    [InlineData(SignalingSubprotocols.Json, "{\"type\":\"ping\",\"type\":\"ping\"}")]
    [InlineData(SignalingSubprotocols.Cbor, "A1")]
    [InlineData(SignalingSubprotocols.Cbor, "A164747970654170")]
    [InlineData(SignalingSubprotocols.Cbor, "A1" + "6474797065" + "6470696E67" + "00")]
    public async Task MalformedFramesGetBadMessageAndTheConnectionStays(string encoding, string frame)
    {
        await using var alice = await _server.ConnectRawAsync(encoding);
        await alice.ExpectAsync("welcome");
        if (alice.IsCbor)
        {
            await alice.SendBinaryAsync(Convert.FromHexString(frame));
        }
        else
        {
            await alice.SendTextAsync(frame);
        }

        await alice.ExpectErrorAsync("bad_message");
        await alice.ExpectAliveAsync();
    }

    [Theory]
    [InlineData(SignalingSubprotocols.Json, """{"type":"dance","id":1}""")]
    [InlineData(SignalingSubprotocols.Cbor, """{"type":"dance","id":1}""")]
    [InlineData(SignalingSubprotocols.Json, """{"type":"join","id":1}""")]
    [InlineData(SignalingSubprotocols.Cbor, """{"type":"join","id":1,"room":"bad room"}""")]
    [InlineData(SignalingSubprotocols.Json, """{"type":"signal","id":1,"to":"x","kind":"offer"}""")]
    [InlineData(SignalingSubprotocols.Cbor, """{"type":"signal","id":1,"to":"x","kind":"teleport"}""")]
    [InlineData(SignalingSubprotocols.Json, """{"type":"welcome","id":1,"session":"s","resumeToken":"t","resumed":false,"heartbeatMs":1,"idleTimeoutMs":1,"resumeWindowMs":1,"maxMessageBytes":1,"iceServers":[]}""")]
    public async Task UnknownOrInvalidMessagesGetBadMessageWithTheirRef(string encoding, string json)
    {
        await using var alice = await _server.ConnectRawAsync(encoding);
        await alice.ExpectAsync("welcome");
        await alice.SendJsonAsync(json);
        var error = await alice.ExpectErrorAsync("bad_message");
        if (!json.Contains("welcome", StringComparison.Ordinal))
        {
            Assert.Equal(1, error.GetProperty("ref").GetInt64());
        }

        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        await alice.ExpectAliveAsync();
    }

    [Fact]
    public async Task AFrameOfTheOtherTypeIsBadMessage()
    {
        await using var alice = await _server.ConnectRawAsync(SignalingSubprotocols.Cbor);
        await alice.ExpectAsync("welcome");
        await alice.SendTextAsync("""{"type":"ping"}""");
        await alice.ExpectErrorAsync("bad_message");
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task AckIsAcceptedSilently(string encoding)
    {
        await using var alice = await _server.ConnectRawAsync(encoding);
        await alice.ExpectAsync("welcome");
        await alice.SendJsonAsync("""{"type":"join","room":"ack"}""");
        await alice.ExpectAsync("joined");
        await alice.SendJsonAsync("""{"type":"ack","through":1}""");
        await alice.SendJsonAsync("""{"type":"pong","ack":1}""");
        await alice.ExpectAliveAsync();
    }

    private async Task<(RawClient Alice, string AliceId, RawClient Bob, string BobId)> PairAsync(string encoding, string room)
    {
        var alice = await _server.ConnectRawAsync(encoding);
        var bob = await _server.ConnectRawAsync(encoding);
        var aliceId = (await alice.ExpectAsync("welcome")).GetProperty("session").GetString()!;
        var bobId = (await bob.ExpectAsync("welcome")).GetProperty("session").GetString()!;
        await alice.SendJsonAsync($$"""{"type":"join","room":"{{room}}"}""");
        await alice.ExpectAsync("joined");
        await bob.SendJsonAsync($$"""{"type":"join","room":"{{room}}"}""");
        await bob.ExpectAsync("joined");
        await alice.ExpectAsync("peer-joined");
        return (alice, aliceId, bob, bobId);
    }
}

/// <summary>The same tests with clients on the WebSocket-only listener (<c>PeerConnect:Signaling:WebSocketListener</c>).</summary>
public sealed class RawProtocolTestsOverWebSocketListener : RawProtocolTests
{
    protected override SignalingServer StartServer(IReadOnlyDictionary<string, string?>? settings = null) =>
        SignalingServer.Start(settings, viaWebSocketListener: true);
}
