using PeerConnect.Ice.Candidates;
using PeerConnect.Ice.Tests.Support;
using PeerConnect.Ice.Tests.VirtualNetwork;

namespace PeerConnect.Ice.Tests;

/// <summary>
/// Every pair of NAT behaviours on the virtual network, both peers with a STUN server and a relay. The expected path
/// follows from RFC 4787 behaviours:
/// <list type="bullet">
/// <item><b>srflx</b>: both map endpoint-independently, so each side's server-reflexive address is the one the other's
/// checks reach, and the filters open once both have sent.</item>
/// <item><b>prflx</b>: one side maps per destination, so its checks arrive from a port nobody signalled; the other side's
/// filter lets them in (it filters by address or not at all), learns a peer-reflexive candidate and answers there.</item>
/// <item><b>relay</b>: the per-destination port is filtered by the other side (port-dependent filtering, or both map per
/// destination), so no direct pair can ever succeed and the relay carries the call.</item>
/// </list>
/// </summary>
public class NatMatrixTests
{
    public static TheoryData<string, string, string> Matrix() => new()
    {
        { "full-cone", "full-cone", "srflx" },
        { "full-cone", "restricted-cone", "srflx" },
        { "full-cone", "port-restricted-cone", "srflx" },
        { "full-cone", "address-dependent", "prflx" },
        { "full-cone", "symmetric", "prflx" },
        { "restricted-cone", "restricted-cone", "srflx" },
        { "restricted-cone", "port-restricted-cone", "srflx" },
        { "restricted-cone", "address-dependent", "prflx" },
        { "restricted-cone", "symmetric", "prflx" },
        { "port-restricted-cone", "port-restricted-cone", "srflx" },
        { "port-restricted-cone", "address-dependent", "relay" },
        { "port-restricted-cone", "symmetric", "relay" },
        { "address-dependent", "address-dependent", "relay" },
        { "address-dependent", "symmetric", "relay" },
        { "symmetric", "symmetric", "relay" },
        // Reversed roles: the symmetric side controls.
        { "symmetric", "restricted-cone", "prflx" },
        { "symmetric", "port-restricted-cone", "relay" },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task SelectedPathMatchesTheNatBehaviours(string natA, string natB, string expected)
    {
        await using var peers = await Scenario.BuildAsync(Nat(natA), Nat(natB), relays: true);
        Assert.True(await peers.ConnectAsync(TimeSpan.FromSeconds(20)));
        // Let every direct check run out (4 transmissions at 100 ms doubling) so a late upgrade would have happened.
        await peers.RunUntilAsync(() => false, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));
        var pair = peers.A.SelectedPair!;
        switch (expected)
        {
            case "srflx":
                Assert.Equal(IceCandidateType.ServerReflexive, pair.Local.Type);
                Assert.Equal(IceCandidateType.ServerReflexive, pair.Remote.Type);
                break;
            case "prflx":
                Assert.False(Scenario.IsRelayed(pair), pair.ToString());
                Assert.True(pair.Local.Type == IceCandidateType.PeerReflexive || pair.Remote.Type == IceCandidateType.PeerReflexive, pair.ToString());
                break;
            default:
                Assert.True(Scenario.IsRelayed(pair), pair.ToString());
                break;
        }

        Assert.Equal(Scenario.IsRelayed(pair), Scenario.IsRelayed(peers.B.SelectedPair!));
        await AgentStateMachineTests.AssertDataFlowsAsync(peers);
    }

    [Fact]
    public async Task BetterPairSucceedingLaterReplacesARelayedSelection()
    {
        // The direct path is hidden until the relay pair is in use; when it appears, the controlling agent
        // nominates it too and both sides move over (the selected pair switches; data keeps flowing).
        await using var peers = await Scenario.BuildAsync(NatBehavior.FullCone, NatBehavior.FullCone, relays: true, start: false);
        var selections = new List<IceCandidatePairInfo>();
        peers.A.SelectedPairChanged += selections.Add;
        peers.Trickle = false;
        await peers.StartAsync();
        await peers.SettleAsync();
        var held = peers.TakeHeld();
        foreach (var (to, candidate) in held.Where(h => h.Candidate?.Type == IceCandidateType.Relayed))
        {
            await to.AddRemoteCandidateAsync(candidate);
        }

        Assert.True(await peers.RunUntilAsync(() => peers.A.SelectedPair is not null && peers.B.SelectedPair is not null, TimeSpan.FromSeconds(10)));
        Assert.True(Scenario.IsRelayed(peers.A.SelectedPair!));
        foreach (var (to, candidate) in held.Where(h => h.Candidate?.Type != IceCandidateType.Relayed))
        {
            await to.AddRemoteCandidateAsync(candidate);
        }

        peers.Trickle = true;
        Assert.True(await peers.RunUntilAsync(() => !Scenario.IsRelayed(peers.A.SelectedPair!) && !Scenario.IsRelayed(peers.B.SelectedPair!), TimeSpan.FromSeconds(10)));
        Assert.True(selections.Count >= 2);
        await AgentStateMachineTests.AssertDataFlowsAsync(peers);
    }

    private static NatBehavior Nat(string name) => name switch
    {
        "full-cone" => NatBehavior.FullCone,
        "restricted-cone" => NatBehavior.RestrictedCone,
        "port-restricted-cone" => NatBehavior.PortRestrictedCone,
        "address-dependent" => NatBehavior.AddressDependentBoth,
        _ => NatBehavior.Symmetric,
    };
}
