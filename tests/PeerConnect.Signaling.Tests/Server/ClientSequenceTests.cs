using System.Globalization;
using PeerConnect.Signaling.Client;
using PeerConnect.Signaling.Protocol;
using PeerConnect.Signaling.Tests.Infrastructure;

namespace PeerConnect.Signaling.Tests.Server;

/// <summary>
/// Client sequence numbers (<c>cseq</c>): what a client wrote into a connection that was already dead is resent after
/// the resume and processed once; a resend of something the server already processed is ignored.
/// </summary>
public class ClientSequenceTests
{
    /// <summary>Kestrel's <c>/ws</c> here; the WebSocket listener in <see cref="ClientSequenceTestsOverWebSocketListener"/>.</summary>
    protected virtual SignalingServer StartServer(IReadOnlyDictionary<string, string?>? settings = null) => SignalingServer.Start(settings);

    [Theory]
    [InlineData(SignalingSubprotocols.Json)]
    [InlineData(SignalingSubprotocols.Cbor)]
    public async Task SignalsWrittenIntoADeadConnectionArriveOnceInOrderAfterTheAutomaticResume(string encoding)
    {
        await using var server = StartServer();
        await using var alice = await server.ConnectAsync(encoding);
        await using var bob = await server.ConnectAsync(encoding);
        await using var bobInbox = new Inbox(bob);
        await alice.JoinAsync("call");
        await bob.JoinAsync("call");
        var reconnected = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        alice.Reconnected += (_, e) => reconnected.TrySetResult(e.Resumed);

        var sent = 0;
        for (; sent < 5; sent++)
        {
            await alice.SendSignalAsync(bob.SessionId!, App(sent));
        }

        // Bob has the first five, so the server processed them; the next five go into a socket that is already dead.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Text(i), (await bobInbox.NextAsync<SignalMessage>()).Data);
        }

        alice.DropOutgoing = message => message is SignalMessage;
        for (; sent < 10; sent++)
        {
            await alice.SendSignalAsync(bob.SessionId!, App(sent));
        }

        alice.DropOutgoing = null;
        alice.AbortConnection();
        Assert.True(await reconnected.Task.WaitAsync(Timeouts.Generous));
        for (; sent < 15; sent++)
        {
            await alice.SendSignalAsync(bob.SessionId!, App(sent));
        }

        await alice.SendSignalAsync(bob.SessionId!, new SignalMessage(SignalKind.App) { Data = "end" });
        var received = new List<string>();
        while (true)
        {
            var data = (await bobInbox.NextAsync<SignalMessage>()).Data!;
            if (data == "end")
            {
                break;
            }

            received.Add(data);
        }

        Assert.Equal(Enumerable.Range(5, 10).Select(Text), received);
        Assert.Equal(SignalingClientState.Connected, alice.State);
    }

    [Theory]
    [InlineData(SignalingSubprotocols.Json)]
    [InlineData(SignalingSubprotocols.Cbor)]
    public async Task AJoinWrittenIntoADeadConnectionIsAnsweredAfterTheResume(string encoding)
    {
        await using var server = StartServer();
        await using var alice = await server.ConnectAsync(encoding);
        await using var bob = await server.ConnectAsync(encoding);
        await using var bobInbox = new Inbox(bob);
        await bob.JoinAsync("late");
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        alice.DropOutgoing = message =>
        {
            written.TrySetResult();
            return message is JoinMessage;
        };

        var join = alice.JoinAsync("late", "Alice");
        await written.Task.WaitAsync(Timeouts.Generous);
        alice.DropOutgoing = null;
        alice.AbortConnection();

        var members = await join.WaitAsync(Timeouts.Generous);
        Assert.Equal(bob.SessionId, Assert.Single(members).Id);
        Assert.Equal(alice.SessionId, (await bobInbox.NextAsync<PeerJoinedMessage>()).Peer.Id);

        // Exactly one join happened: the next thing Bob hears from Alice is her signal, not a second peer-joined.
        await alice.SendSignalAsync(bob.SessionId!, App(1));
        Assert.IsType<SignalMessage>(await bobInbox.NextAsync<SignalingMessage>());
    }

    [Theory]
    [InlineData(SignalingSubprotocols.Json)]
    [InlineData(SignalingSubprotocols.Cbor)]
    public async Task ARawClientsResentMessagesAreProcessedOnceAndAcknowledged(string encoding)
    {
        await using var server = StartServer();
        await using var bob = await server.ConnectRawAsync(encoding);
        var bobWelcome = await bob.ExpectAsync("welcome");
        Assert.False(bobWelcome.TryGetProperty("ack", out _));
        var bobId = bobWelcome.GetProperty("session").GetString();
        var alice = await server.ConnectRawAsync(encoding);
        var welcome = await alice.ExpectAsync("welcome");
        var token = welcome.GetProperty("resumeToken").GetString()!;
        await alice.SendJsonAsync("""{"type":"join","cseq":1,"id":1,"room":"r"}""");
        await alice.ExpectAsync("joined");

        // Bob numbers nothing, as clients written before cseq do: he works as before and his pong carries no ack.
        await bob.SendJsonAsync("""{"type":"join","room":"r"}""");
        await bob.ExpectAsync("joined");
        var lastSeen = (await alice.ExpectAsync("peer-joined")).GetProperty("seq").GetInt64();

        // The same message twice on one connection: processed once.
        await alice.SendJsonAsync($$"""{"type":"signal","cseq":2,"to":"{{bobId}}","kind":"app","data":"a"}""");
        await alice.SendJsonAsync($$"""{"type":"signal","cseq":2,"to":"{{bobId}}","kind":"app","data":"a"}""");
        await alice.SendJsonAsync($$"""{"type":"signal","cseq":3,"to":"{{bobId}}","kind":"app","data":"b"}""");
        Assert.Equal("a", (await bob.ExpectAsync("signal")).GetProperty("data").GetString());
        Assert.Equal("b", (await bob.ExpectAsync("signal")).GetProperty("data").GetString());
        Assert.Equal(3, (await PongAsync(alice)).GetProperty("ack").GetInt64());
        Assert.False((await PongAsync(bob)).TryGetProperty("ack", out _));

        // Drop, resume: the welcome says 3 was processed; resending 3 (and a stale join) changes nothing, 4 goes through.
        alice.Socket.Abort();
        await alice.DisposeAsync();
        await using var resumed = await server.ConnectRawAsync(encoding, $"?resume={Uri.EscapeDataString(token)}&lastSeq={lastSeen}");
        var again = await resumed.ExpectAsync("welcome");
        Assert.True(again.GetProperty("resumed").GetBoolean());
        Assert.Equal(3, again.GetProperty("ack").GetInt64());
        await resumed.SendJsonAsync("""{"type":"join","cseq":1,"id":1,"room":"r"}""");
        await resumed.SendJsonAsync($$"""{"type":"signal","cseq":3,"to":"{{bobId}}","kind":"app","data":"b"}""");
        await resumed.SendJsonAsync($$"""{"type":"signal","cseq":4,"to":"{{bobId}}","kind":"app","data":"c"}""");
        var signal = await bob.ExpectAsync("signal");
        Assert.Equal("c", signal.GetProperty("data").GetString());
        Assert.False(signal.TryGetProperty("cseq", out _));
        Assert.Equal(4, (await PongAsync(resumed)).GetProperty("ack").GetInt64());

        // No answer to the ignored join was queued for Alice, and nothing more for Bob.
        await resumed.ExpectAliveAsync();
        await bob.ExpectAliveAsync();
    }

    [Theory]
    [InlineData(SignalingSubprotocols.Json)]
    [InlineData(SignalingSubprotocols.Cbor)]
    public async Task TheClientAcknowledgesOnTheSignalsItSends(string encoding)
    {
        await using var server = StartServer();
        await using var alice = await server.ConnectAsync(encoding);
        await using var bob = await server.ConnectAsync(encoding);
        await using var aliceInbox = new Inbox(alice);
        await alice.JoinAsync("call");
        await bob.JoinAsync("call");
        Assert.Equal(bob.SessionId, (await aliceInbox.NextAsync<PeerJoinedMessage>()).Peer.Id);
        for (var i = 0; i < 3; i++)
        {
            await bob.SendSignalAsync(alice.SessionId!, App(i));
            Assert.Equal(Text(i), (await aliceInbox.NextAsync<SignalMessage>()).Data);
        }

        var written = new List<SignalingMessage>();
        alice.DropOutgoing = message =>
        {
            written.Add(message);
            return false;
        };
        await alice.SendSignalAsync(bob.SessionId!, App(0));
        await alice.SendSignalAsync(bob.SessionId!, App(1));
        alice.DropOutgoing = null;

        // The first carries what Alice has received; the second has nothing new to acknowledge.
        var signals = written.OfType<SignalMessage>().ToList();
        Assert.Equal(2, signals.Count);
        Assert.Equal(alice.LastSequence, signals[0].Ack);
        Assert.Null(signals[1].Ack);
    }

    [Theory]
    [InlineData(SignalingSubprotocols.Json)]
    [InlineData(SignalingSubprotocols.Cbor)]
    public async Task TheClientForgetsWhatTheServerAcknowledged(string encoding)
    {
        await using var server = StartServer();
        await using var alice = await server.ConnectAsync(encoding, o => o with { ResendBufferSize = 8 });
        await using var bob = await server.ConnectAsync(encoding);
        await using var bobInbox = new Inbox(bob);
        await alice.JoinAsync("call");
        await bob.JoinAsync("call");
        for (var i = 0; i < 8; i++)
        {
            await alice.SendSignalAsync(bob.SessionId!, App(i));
        }

        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(Text(i), (await bobInbox.NextAsync<SignalMessage>()).Data);
        }

        // Each quarter of the buffer asks for a pong, and heartbeats carry the acknowledgement too.
        using var timeout = new CancellationTokenSource(Timeouts.Generous);
        while (alice.UnacknowledgedCount > 0)
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    private static async Task<System.Text.Json.JsonElement> PongAsync(RawClient client)
    {
        await client.SendJsonAsync("""{"type":"ping"}""");
        while (true)
        {
            var element = await client.ReceiveAnyJsonAsync();
            var type = element.GetProperty("type").GetString();
            if (type == "pong")
            {
                return element;
            }

            Assert.Equal("ping", type);
        }
    }

    private static string Text(int i) => i.ToString(CultureInfo.InvariantCulture);

    private static SignalMessage App(int i) => new(SignalKind.App) { Data = Text(i) };
}

/// <summary>The same tests with clients on the WebSocket-only listener (<c>PeerConnect:Signaling:WebSocketListener</c>).</summary>
public sealed class ClientSequenceTestsOverWebSocketListener : ClientSequenceTests
{
    protected override SignalingServer StartServer(IReadOnlyDictionary<string, string?>? settings = null) =>
        SignalingServer.Start(settings, viaWebSocketListener: true);
}
