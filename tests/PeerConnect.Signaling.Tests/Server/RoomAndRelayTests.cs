using PeerConnect.Signaling.Client;
using PeerConnect.Signaling.Protocol;
using PeerConnect.Signaling.Tests.Infrastructure;

namespace PeerConnect.Signaling.Tests.Server;

/// <summary>Rooms and relay through the .NET client, over real WebSockets on loopback, in both encodings.</summary>
public class RoomAndRelayTests : IAsyncLifetime
{
    /// <summary>Kestrel's <c>/ws</c> here; the WebSocket listener in <see cref="RoomAndRelayTestsOverWebSocketListener"/>.</summary>
    protected virtual SignalingServer StartServer(IReadOnlyDictionary<string, string?>? settings = null) => SignalingServer.Start(settings);

    private SignalingServer _server = null!;

    public static TheoryData<string> Encodings => new() { SignalingSubprotocols.Json, SignalingSubprotocols.Cbor };

    public Task InitializeAsync()
    {
        _server = StartServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task WelcomeGivesSessionIdAndIceServers(string encoding)
    {
        await using var client = await _server.ConnectAsync(encoding);
        Assert.False(string.IsNullOrEmpty(client.SessionId));
        var stun = Assert.Single(client.IceServers);
        Assert.Equal("stun:127.0.0.1:3478", Assert.Single(stun.Urls));
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task JoinReturnsMembersAndTellsThemWhoJoined(string encoding)
    {
        await using var alice = await _server.ConnectAsync(encoding);
        await using var bob = await _server.ConnectAsync(encoding);
        await using var aliceEvents = new Inbox(alice);

        Assert.Empty(await alice.JoinAsync("room-1", "Alice", new Dictionary<string, string> { ["role"] = "host" }));
        var members = await bob.JoinAsync("room-1", "Bob");

        var member = Assert.Single(members);
        Assert.Equal(alice.SessionId, member.Id);
        Assert.Equal("Alice", member.Name);
        Assert.Equal("host", member.Metadata!["role"]);
        var joined = await aliceEvents.NextAsync<PeerJoinedMessage>();
        Assert.Equal(bob.SessionId, joined.Peer.Id);
        Assert.Equal("Bob", joined.Peer.Name);
        Assert.Equal("room-1", joined.Room);
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task LeaveTellsTheOthersPeerLeft(string encoding)
    {
        await using var alice = await _server.ConnectAsync(encoding);
        await using var bob = await _server.ConnectAsync(encoding);
        await using var aliceEvents = new Inbox(alice);
        await alice.JoinAsync("room-2");
        await bob.JoinAsync("room-2");
        await aliceEvents.NextAsync<PeerJoinedMessage>();

        await bob.LeaveAsync("room-2");

        var left = await aliceEvents.NextAsync<PeerLeftMessage>();
        Assert.Equal(bob.SessionId, left.Peer);
        Assert.Equal(PeerLeftReason.Left, left.Reason);
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task NormalCloseEndsTheSessionAtOnce(string encoding)
    {
        await using var alice = await _server.ConnectAsync(encoding);
        var bob = await _server.ConnectAsync(encoding);
        await using var aliceEvents = new Inbox(alice);
        await alice.JoinAsync("room-3");
        await bob.JoinAsync("room-3");
        await aliceEvents.NextAsync<PeerJoinedMessage>();

        await bob.CloseAsync();

        var left = await aliceEvents.NextAsync<PeerLeftMessage>();
        Assert.Equal(PeerLeftReason.Closed, left.Reason);
        await bob.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task EveryKindOfSignalIsRelayedWithTheSenderStamped(string encoding)
    {
        await using var alice = await _server.ConnectAsync(encoding);
        await using var bob = await _server.ConnectAsync(encoding);
        await alice.JoinAsync("call");
        await bob.JoinAsync("call");
        await using var bobEvents = new Inbox(bob);
        SignalMessage[] signals =
        [
            new(SignalKind.Offer) { Sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n" },
            new(SignalKind.Answer) { Sdp = "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\n" },
            new(SignalKind.Candidate) { Candidate = new IceCandidateInit("candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host", "0", 0, "abcd") },
            new(SignalKind.EndOfCandidates),
            new(SignalKind.Renegotiate),
            new(SignalKind.Hangup) { Reason = "bye" },
            new(SignalKind.App) { Data = "{\"mute\":true}" },
        ];

        foreach (var signal in signals)
        {
            await alice.SendSignalAsync(bob.SessionId!, signal);
        }

        foreach (var sent in signals)
        {
            var received = await bobEvents.NextAsync<SignalMessage>();
            Assert.Equal(alice.SessionId, received.From);
            Assert.Null(received.To);
            Assert.Equal(sent with { Id = null, Seq = received.Seq, From = alice.SessionId }, received);
        }
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task ClientsWithDifferentEncodingsTalkToEachOther(string encoding)
    {
        var other = encoding == SignalingSubprotocols.Json ? SignalingSubprotocols.Cbor : SignalingSubprotocols.Json;
        await using var alice = await _server.ConnectAsync(encoding);
        await using var bob = await _server.ConnectAsync(other);
        await alice.JoinAsync("mixed");
        await bob.JoinAsync("mixed");
        await using var bobEvents = new Inbox(bob);

        await alice.SendSignalAsync(bob.SessionId!, new SignalMessage(SignalKind.App) { Data = "héllo ✓" });

        Assert.Equal("héllo ✓", (await bobEvents.NextAsync<SignalMessage>()).Data);
    }

    [Fact]
    public async Task JoinErrorsFailTheCallWithTheirCode()
    {
        await using var alice = await _server.ConnectAsync();
        var error = await Assert.ThrowsAsync<SignalingException>(() => alice.LeaveAsync("never-joined"));
        Assert.Equal(SignalingErrorCode.NotInRoom, error.Code);
    }
}

/// <summary>The same tests with clients on the WebSocket-only listener (<c>PeerConnect:Signaling:WebSocketListener</c>).</summary>
public sealed class RoomAndRelayTestsOverWebSocketListener : RoomAndRelayTests
{
    protected override SignalingServer StartServer(IReadOnlyDictionary<string, string?>? settings = null) =>
        SignalingServer.Start(settings, viaWebSocketListener: true);
}
