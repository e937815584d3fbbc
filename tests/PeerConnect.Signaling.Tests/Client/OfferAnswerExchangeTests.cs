using PeerConnect.Signaling.Client;
using PeerConnect.Signaling.Protocol;
using PeerConnect.Signaling.Tests.Infrastructure;

namespace PeerConnect.Signaling.Tests.Client;

/// <summary>Two .NET clients negotiate a call through the server the way two peer connections would.</summary>
public class OfferAnswerExchangeTests
{
    /// <summary>Kestrel's <c>/ws</c> here; the WebSocket listener in <see cref="OfferAnswerExchangeTestsOverWebSocketListener"/>.</summary>
    protected virtual SignalingServer StartServer(IReadOnlyDictionary<string, string?>? settings = null) => SignalingServer.Start(settings);

    [Theory]
    [InlineData(SignalingSubprotocols.Json)]
    [InlineData(SignalingSubprotocols.Cbor)]
    public async Task CallerAndCalleeTradeOfferAnswerAndTrickledCandidates(string encoding)
    {
        await using var server = StartServer();
        await using var caller = await server.ConnectAsync(encoding);
        await using var callee = await server.ConnectAsync(encoding);
        var calleeDone = new TaskCompletionSource<List<SignalMessage>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var calleeSeen = new List<SignalMessage>();
        callee.SignalReceived += async (_, e) =>
        {
            calleeSeen.Add(e.Message);
            if (e.Message.Kind == SignalKind.Offer)
            {
                await callee.SendSignalAsync(e.Message.From!, new SignalMessage(SignalKind.Answer) { Sdp = "v=0\r\ns=answer\r\n" });
                await callee.SendSignalAsync(e.Message.From!, new SignalMessage(SignalKind.Candidate) { Candidate = new IceCandidateInit("candidate:2 1 udp 2122260223 192.0.2.2 50000 typ host", "0", 0) });
                await callee.SendSignalAsync(e.Message.From!, new SignalMessage(SignalKind.EndOfCandidates));
            }
            else if (e.Message.Kind == SignalKind.EndOfCandidates)
            {
                calleeDone.TrySetResult(calleeSeen);
            }
        };
        await using var callerInbox = new Inbox(caller);
        await callee.JoinAsync("call-1", "callee");
        var members = await caller.JoinAsync("call-1", "caller");
        var peer = Assert.Single(members).Id;

        await caller.SendSignalAsync(peer, new SignalMessage(SignalKind.Offer) { Sdp = "v=0\r\ns=offer\r\n" });
        await caller.SendSignalAsync(peer, new SignalMessage(SignalKind.Candidate) { Candidate = new IceCandidateInit("candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host", "0", 0) });
        await caller.SendSignalAsync(peer, new SignalMessage(SignalKind.EndOfCandidates));

        var answer = await callerInbox.NextAsync<SignalMessage>();
        var candidate = await callerInbox.NextAsync<SignalMessage>();
        var end = await callerInbox.NextAsync<SignalMessage>();
        Assert.Equal((SignalKind.Answer, "v=0\r\ns=answer\r\n", callee.SessionId), (answer.Kind, answer.Sdp, answer.From));
        Assert.Equal("192.0.2.2", candidate.Candidate!.Candidate.Split(' ')[4]);
        Assert.Equal(SignalKind.EndOfCandidates, end.Kind);
        var seen = await calleeDone.Task.WaitAsync(Timeouts.Generous);
        Assert.Equal([SignalKind.Offer, SignalKind.Candidate, SignalKind.EndOfCandidates], seen.Select(s => s.Kind));
        Assert.All(seen, s => Assert.Equal(caller.SessionId, s.From));
    }

    [Fact]
    public async Task ARefusedTokenSurfacesAsUnauthorized()
    {
        await using var server = StartServer(new Dictionary<string, string?>
        {
            ["PeerConnect:Signaling:Jwt:SigningKey"] = Convert.ToBase64String(new byte[32]),
        });
        await using var client = server.CreateClient();
        var refused = await Assert.ThrowsAsync<SignalingException>(() => client.ConnectAsync());
        Assert.Equal(SignalingErrorCode.Unauthorized, refused.Code);
    }
}

/// <summary>The same tests with clients on the WebSocket-only listener (<c>PeerConnect:Signaling:WebSocketListener</c>).</summary>
public sealed class OfferAnswerExchangeTestsOverWebSocketListener : OfferAnswerExchangeTests
{
    protected override SignalingServer StartServer(IReadOnlyDictionary<string, string?>? settings = null) =>
        SignalingServer.Start(settings, viaWebSocketListener: true);
}
