using System.Net;
using PeerConnect.Ice.Candidates;
using PeerConnect.Ice.Servers;
using PeerConnect.Stun.Server;
using PeerConnect.Testing;
using PeerConnect.Turn.Server;

namespace PeerConnect.Ice.Tests;

/// <summary>
/// Two agents with the relay-only policy connect through our TURN server (library <see cref="StunServer"/> +
/// <see cref="TurnServer"/>) on 127.0.0.1, each through our TURN client over UDP, TCP or TLS, and exchange data.
/// </summary>
public sealed class TurnRelayLoopbackTests : IAsyncLifetime
{
    private const string User = "alice";
    private const string Password = "wonderland";
    private LoopbackTurnServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await LoopbackTurnServer.StartAsync(new Dictionary<string, string> { [User] = Password });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("tcp")]
    [InlineData("tls")]
    public async Task RelayOnlyAgentsConnectThroughOurTurnServer(string transport)
    {
        string url = transport switch
        {
            "udp" => $"turn:127.0.0.1:{_server.Stun.UdpEndPoints[0].Port}",
            "tcp" => $"turn:127.0.0.1:{_server.Stun.TcpEndPoints[0].Port}?transport=tcp",
            _ => $"turns:127.0.0.1:{_server.Stun.TlsEndPoints[0].Port}",
        };
        var options = await IceServer.ConfigureAsync(
            new IceAgentOptions { TransportPolicy = IceTransportPolicy.Relay },
            [new IceServer([url], User, Password)],
            // The test certificate is self-signed; trust exactly it.
            configureTurn: o => o with { TlsCertificateValidation = _server.TrustsCertificate });
        await using var a = new IceAgent(options with { Controlling = true });
        await using var b = new IceAgent(options with { Controlling = false });

        await IcePair.ConnectAsync(a, b);

        Assert.Equal(IceCandidateType.Relayed, a.SelectedPair!.Local.Type);
        Assert.Equal(IceCandidateType.Relayed, a.SelectedPair.Remote.Type);
        Assert.Equal(IceCandidateType.Relayed, b.SelectedPair!.Local.Type);
        Assert.Equal(2, _server.Turn.AllocationCount);
        await IcePair.ExchangeAsync(a, b, rounds: 50);
    }
}

/// <summary>Signals two agents to each other on loopback and checks data both ways.</summary>
internal static class IcePair
{
    public static async Task ConnectAsync(IceAgent a, IceAgent b)
    {
        a.CandidateGathered += c => _ = b.AddRemoteCandidateAsync(c);
        b.CandidateGathered += c => _ = a.AddRemoteCandidateAsync(c);
        var connectedA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connectedB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        a.SelectedPairChanged += _ => connectedA.TrySetResult();
        b.SelectedPairChanged += _ => connectedB.TrySetResult();
        await a.SetRemoteParametersAsync(b.LocalParameters);
        await b.SetRemoteParametersAsync(a.LocalParameters);
        await a.GatherAsync();
        await b.GatherAsync();
        await Task.WhenAll(connectedA.Task, connectedB.Task).WaitAsync(TimeSpan.FromSeconds(30));
    }

    public static async Task ExchangeAsync(IceAgent a, IceAgent b, int rounds)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[2048];
        for (int i = 0; i < rounds; i++)
        {
            // First bytes in the RFC 7983 DTLS (20–63) and RTP (128–191) ranges, so the demux hands them up.
            byte[] toB = [23, (byte)i, 1, 2, 3];
            byte[] toA = [128, (byte)i, 9];
            await a.Pipe.SendAsync(toB, cts.Token);
            int n = await b.Pipe.ReceiveAsync(buffer, cts.Token);
            Assert.Equal(toB, buffer[..n]);
            await b.Pipe.SendAsync(toA, cts.Token);
            n = await a.Pipe.ReceiveAsync(buffer, cts.Token);
            Assert.Equal(toA, buffer[..n]);
        }
    }
}
