using PeerConnect.Ice.Candidates;
using PeerConnect.Ice.Tests.Support;
using PeerConnect.Ice.Tests.VirtualNetwork;

namespace PeerConnect.Ice.Tests;

public class AgentStateMachineTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task PublicPeersConnectOverHostCandidatesAndStatesFollowW3COrder()
    {
        await using var peers = await Scenario.BuildAsync(null, null, start: false);
        var statesA = new List<IceConnectionState>();
        var gathering = new List<IceGatheringState>();
        var trickled = new List<IceCandidate?>();
        peers.A.ConnectionStateChanged += statesA.Add;
        peers.A.GatheringStateChanged += gathering.Add;
        peers.A.CandidateGathered += trickled.Add;
        await peers.StartAsync();

        Assert.True(await peers.ConnectAsync(Limit));
        Assert.True(await peers.RunUntilAsync(() => peers.A.ConnectionState == IceConnectionState.Completed, Limit));
        Assert.Equal([IceConnectionState.Checking, IceConnectionState.Connected, IceConnectionState.Completed], statesA);
        Assert.Equal([IceGatheringState.Gathering, IceGatheringState.Complete], gathering);
        Assert.Null(trickled[^1]);
        Assert.Equal(IceCandidateType.Host, peers.A.SelectedPair!.Local.Type);
        Assert.Equal(IceCandidateType.Host, peers.A.SelectedPair.Remote.Type);
        await AssertDataFlowsAsync(peers);
    }

    [Fact]
    public async Task ControlledAgentSelectsThePairTheControllingAgentNominated()
    {
        await using var peers = await Scenario.BuildAsync(NatBehavior.FullCone, NatBehavior.FullCone);
        Assert.True(await peers.ConnectAsync(Limit));
        Assert.Equal(peers.A.SelectedPair!.Local.Port, peers.B.SelectedPair!.Remote.Port);
        Assert.Equal(peers.A.SelectedPair.Remote.Port, peers.B.SelectedPair.Local.Port);
        Assert.Equal(peers.A.SelectedPair.Priority, peers.B.SelectedPair.Priority);
    }

    [Fact]
    public async Task FirstCheckLeavesAtOnceAndLaterOnesArePacedByTa()
    {
        await using var peers = await Scenario.BuildAsync(null, null, configureA: o => o with { CheckPacing = TimeSpan.FromMilliseconds(200) });
        // Zero fake time has passed: the first check and its answer do not wait for a Ta tick.
        await peers.SettleAsync();
        Assert.Equal(IceConnectionState.Checking, peers.A.ConnectionState);
        Assert.True(await peers.ConnectAsync(Limit));
    }

    [Fact]
    public async Task BothControllingIsRepairedByTheReceiverWithTheSmallerTieBreaker()
    {
        // RFC 8445 §7.3.1.1: B (smaller tie-breaker) receives ICE-CONTROLLING while controlling and switches.
        await using var peers = await Scenario.BuildAsync(null, null, configureB: o => o with { Controlling = true }, tieBreakerA: 10, tieBreakerB: 5, start: false);
        await peers.B.SetRemoteParametersAsync(peers.A.LocalParameters);
        await peers.A.SetRemoteParametersAsync(peers.B.LocalParameters);
        await peers.B.GatherAsync();
        await peers.A.GatherAsync();
        Assert.True(await peers.ConnectAsync(Limit));
        Assert.Equal(IceRole.Controlling, peers.A.Role);
        Assert.Equal(IceRole.Controlled, peers.B.Role);
    }

    [Fact]
    public async Task BothControllingIsRepairedBy487WhenTheWinnerReceivesFirst()
    {
        // RFC 8445 §7.3.1.1 / §7.2.5.1: A (larger tie-breaker) answers B's check with 487, B switches to controlled.
        await using var peers = await Scenario.BuildAsync(null, null, configureB: o => o with { Controlling = true }, tieBreakerA: 10, tieBreakerB: 5, start: false);
        peers.Trickle = false;
        await peers.B.SetRemoteParametersAsync(peers.A.LocalParameters);
        await peers.A.GatherAsync();
        await peers.B.GatherAsync();
        await peers.FlushAsync();
        // A has no remote credentials yet, so it cannot check: the only way B learns is the 487 to its own check.
        Assert.True(await peers.RunUntilAsync(() => peers.B.Role == IceRole.Controlled, TimeSpan.FromSeconds(1)));
        Assert.Equal(IceRole.Controlling, peers.A.Role);
        await peers.A.SetRemoteParametersAsync(peers.B.LocalParameters);
        Assert.True(await peers.ConnectAsync(Limit));
    }

    [Fact]
    public async Task BothControlledIsRepairedTowardsTheLargerTieBreaker()
    {
        await using var peers = await Scenario.BuildAsync(null, null, configureA: o => o with { Controlling = false }, tieBreakerA: 10, tieBreakerB: 5);
        Assert.True(await peers.ConnectAsync(Limit));
        Assert.Equal(IceRole.Controlling, peers.A.Role);
        Assert.Equal(IceRole.Controlled, peers.B.Role);
    }

    [Fact]
    public async Task FullAgentControlsAndConnectsToAnIceLitePeer()
    {
        // RFC 8445 §6.1.1: facing a lite peer, the full agent takes control even if it started controlled.
        await using var peers = await Scenario.BuildAsync(null, null, configureA: o => o with { Controlling = false }, configureB: o => o with { Lite = true });
        Assert.True(peers.B.LocalParameters.IsLite);
        Assert.True(await peers.ConnectAsync(Limit));
        Assert.Equal(IceRole.Controlling, peers.A.Role);
        Assert.Equal(IceRole.Controlled, peers.B.Role);
        await AssertDataFlowsAsync(peers);
    }

    [Fact]
    public async Task LateTrickledCandidateIsPairedAndConnects()
    {
        // RFC 8838 §11: remote candidates are accepted at any time.
        await using var peers = await Scenario.BuildAsync(null, null, start: false);
        peers.Trickle = false;
        await peers.StartAsync();
        Assert.False(await peers.RunUntilAsync(() => peers.A.SelectedPair is not null, TimeSpan.FromSeconds(1)));
        await peers.FlushAsync();
        Assert.True(await peers.ConnectAsync(Limit));
    }

    [Fact]
    public async Task AllPairsFailingAfterEndOfCandidatesMeansFailed()
    {
        // Symmetric on both sides and no relay: nothing gets through, and both sides ended their candidates.
        await using var peers = await Scenario.BuildAsync(NatBehavior.Symmetric, NatBehavior.Symmetric);
        Assert.True(await peers.RunUntilAsync(() => peers.A.ConnectionState == IceConnectionState.Failed && peers.B.ConnectionState == IceConnectionState.Failed, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50)));
        Assert.Null(peers.A.SelectedPair);
        Assert.False(peers.A.Pipe.CanSend);
    }

    [Fact]
    public async Task ConsentLossGoesDisconnectedThenFailedAndStopsSending()
    {
        // RFC 7675 §5.1: consent expires after 30 s without a response; disconnected is reported at 10 s.
        await using var peers = await Scenario.BuildAsync(null, null);
        Assert.True(await peers.ConnectAsync(Limit));
        var states = new List<IceConnectionState>();
        peers.A.ConnectionStateChanged += states.Add;
        peers.Net.Partitioned = true;
        var step = TimeSpan.FromMilliseconds(250);
        Assert.True(await peers.RunUntilAsync(() => peers.A.ConnectionState == IceConnectionState.Disconnected, TimeSpan.FromSeconds(12), step));
        Assert.True(peers.A.Pipe.CanSend);
        Assert.True(await peers.RunUntilAsync(() => peers.A.ConnectionState == IceConnectionState.Failed, TimeSpan.FromSeconds(25), step));
        Assert.False(peers.A.Pipe.CanSend);
        await Assert.ThrowsAsync<IceNotConnectedException>(async () => await peers.A.Pipe.SendAsync(new byte[] { 23 }));
        Assert.Equal([IceConnectionState.Disconnected, IceConnectionState.Failed], states.Where(s => s != IceConnectionState.Completed && s != IceConnectionState.Connected));
    }

    [Fact]
    public async Task ConsentRecoversFromDisconnectedWhenResponsesReturn()
    {
        await using var peers = await Scenario.BuildAsync(null, null, configureA: o => o with { ConsentDisconnectedTimeout = TimeSpan.FromSeconds(6) });
        Assert.True(await peers.ConnectAsync(Limit));
        peers.Net.Partitioned = true;
        Assert.True(await peers.RunUntilAsync(() => peers.A.ConnectionState == IceConnectionState.Disconnected, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(250)));
        peers.Net.Partitioned = false;
        Assert.True(await peers.RunUntilAsync(() => peers.A.ConnectionState is IceConnectionState.Connected or IceConnectionState.Completed, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(250)));
    }

    [Fact]
    public async Task IceRestartKeepsTheOldPairUntilTheNewSessionNominates()
    {
        await using var peers = await Scenario.BuildAsync(null, null);
        Assert.True(await peers.ConnectAsync(Limit));
        var selections = new List<IceCandidatePairInfo>();
        peers.A.SelectedPairChanged += selections.Add;
        var oldUfrag = peers.A.LocalParameters.Ufrag;
        var reemitted = new List<IceCandidate?>();
        peers.A.CandidateGathered += reemitted.Add;

        peers.Trickle = false;
        var newA = await peers.A.RestartAsync();
        var newB = await peers.B.RestartAsync();
        Assert.NotEqual(oldUfrag, newA.Ufrag);
        Assert.All(reemitted.OfType<IceCandidate>(), c => Assert.Equal(newA.Ufrag, c.Ufrag));
        Assert.All(reemitted.OfType<IceCandidate>(), c => Assert.Equal(1, c.Generation));
        // Between the restart and the new nomination the old pair still carries data.
        await AssertDataFlowsAsync(peers);

        await peers.A.SetRemoteParametersAsync(newB);
        await peers.B.SetRemoteParametersAsync(newA);
        await peers.FlushAsync();
        Assert.True(await peers.RunUntilAsync(() => selections.Count > 0, Limit));
        await AssertDataFlowsAsync(peers);
    }

    [Fact]
    public async Task OptionsAreValidatedAtConstruction()
    {
        Assert.Throws<ArgumentException>(() => new IceAgent(new IceAgentOptions { CheckPacing = TimeSpan.Zero }));
        Assert.Throws<ArgumentException>(() => new IceAgent(new IceAgentOptions { ConsentTimeout = TimeSpan.FromSeconds(1) }));
        Assert.Throws<ArgumentException>(() => new IceAgent(new IceAgentOptions { MaxCheckTransmissions = 0 }));
        await Task.CompletedTask;
    }

    internal static async Task AssertDataFlowsAsync(IcePeers peers)
    {
        byte[] dtls = [23, 0xfe, 0xfd, 1, 2, 3];
        byte[] rtp = [128, 96, 0, 1];
        await peers.A.Pipe.SendAsync(dtls);
        await peers.B.Pipe.SendAsync(rtp);
        await peers.SettleAsync();
        var buffer = new byte[64];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int n = await peers.B.Pipe.ReceiveAsync(buffer, cts.Token);
        Assert.Equal(dtls, buffer[..n]);
        n = await peers.A.Pipe.ReceiveAsync(buffer, cts.Token);
        Assert.Equal(rtp, buffer[..n]);
    }
}
