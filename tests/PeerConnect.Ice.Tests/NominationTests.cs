using System.Net;
using PeerConnect.Ice.Candidates;
using PeerConnect.Ice.Checks;
using PeerConnect.Ice.Tests.Support;
using PeerConnect.Ice.Tests.VirtualNetwork;
using PeerConnect.Stun;

namespace PeerConnect.Ice.Tests;

public class NominationTests
{
    [Fact]
    public async Task AggressiveNominationFromAnUnsignalledPeerIsAccepted()
    {
        // RFC 8445 §7.3.1.5 (and RFC 5245 aggressive nomination): USE-CANDIDATE on the very first check, from an
        // address never signalled (§7.3.1.3 peer-reflexive). The controlled agent answers, runs its triggered check,
        // and selects the pair once that check succeeds.
        var time = IcePeers.NewClock();
        var net = new VirtualNet();
        var hostB = net.AddPublicHost("198.51.100.2");
        var raw = net.AddPublicHost("198.51.100.9").Bind(7000);
        var rawParams = IceParameters.Generate();
        await using var b = new IceAgent(Scenario.Fast(new IceAgentOptions { Controlling = false, SocketFactory = hostB }), time, null, 1);
        IceCandidate? host = null;
        b.CandidateGathered += c => host ??= c;
        await b.SetRemoteParametersAsync(rawParams);
        await b.GatherAsync();
        Assert.NotNull(host);

        var message = new byte[IceStunMessages.MaxLength];
        int length = IceStunMessages.WriteCheck(message, TransactionId.NewRandom(), b.LocalParameters.Ufrag + ":" + rawParams.Ufrag, 1862270975, IceRole.Controlling, 99, useCandidate: true, StunCredentials.ShortTermKey(b.LocalParameters.Password));
        await raw.SendAsync(message.AsMemory(0, length), host!.EndPoint!);

        var buffer = new byte[1500];
        int requestsAnswered = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (b.SelectedPair is null)
        {
            var pending = raw.ReceiveAsync(buffer, cts.Token).AsTask();
            while (!pending.IsCompleted && b.SelectedPair is null)
            {
                time.Advance(TimeSpan.FromMilliseconds(10));
                await Task.Delay(1);
            }

            if (!pending.IsCompleted)
            {
                break;
            }

            var r = await pending;
            var reader = StunMessageReader.Parse(buffer.AsSpan(0, r.Count));
            if (reader.Class == StunMessageClass.Request)
            {
                Assert.True(reader.VerifyMessageIntegrity(StunCredentials.ShortTermKey(rawParams.Password)));
                Assert.True(reader.HasAttribute(StunAttributeType.IceControlled));
                length = IceStunMessages.WriteSuccess(message, reader.TransactionId, r.RemoteEndPoint, StunCredentials.ShortTermKey(rawParams.Password));
                await raw.SendAsync(message.AsMemory(0, length), r.RemoteEndPoint);
                requestsAnswered++;
            }
        }

        for (int i = 0; i < 200 && b.SelectedPair is null; i++)
        {
            await Task.Delay(5);
        }

        Assert.NotNull(b.SelectedPair);
        Assert.True(requestsAnswered >= 1);
        Assert.Equal(IceCandidateType.PeerReflexive, b.SelectedPair!.Remote.Type);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.9"), 7000), b.SelectedPair.Remote.EndPoint);
        Assert.Equal(IceRole.Controlled, b.Role);
    }

    [Fact]
    public async Task ChecksWithWrongCredentialsAreRejected()
    {
        // RFC 8445 §7.3 / RFC 8489 §9.1.3: a USERNAME for another ufrag is answered 401 and creates nothing.
        var time = IcePeers.NewClock();
        var net = new VirtualNet();
        var hostB = net.AddPublicHost("198.51.100.2");
        var raw = net.AddPublicHost("198.51.100.9").Bind(7000);
        await using var b = new IceAgent(Scenario.Fast(new IceAgentOptions { Controlling = false, SocketFactory = hostB }), time, null, 1);
        IceCandidate? host = null;
        b.CandidateGathered += c => host ??= c;
        await b.GatherAsync();

        var message = new byte[IceStunMessages.MaxLength];
        int length = IceStunMessages.WriteCheck(message, TransactionId.NewRandom(), "wrong:peer", 1, IceRole.Controlling, 1, useCandidate: true, StunCredentials.ShortTermKey(b.LocalParameters.Password));
        await raw.SendAsync(message.AsMemory(0, length), host!.EndPoint!);
        var buffer = new byte[1500];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var r = await raw.ReceiveAsync(buffer, cts.Token);
        var reader = StunMessageReader.Parse(buffer.AsSpan(0, r.Count));
        Assert.Equal(StunMessageClass.ErrorResponse, reader.Class);
        Assert.True(reader.TryGetErrorCode(out int code, out _));
        Assert.Equal(StunErrorCodes.Unauthorized, code);
        Assert.Null(b.SelectedPair);
        Assert.Equal(IceConnectionState.New, b.ConnectionState);
    }
}
