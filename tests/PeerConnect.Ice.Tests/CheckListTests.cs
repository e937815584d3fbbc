using System.Net;
using PeerConnect.Ice.Candidates;
using PeerConnect.Ice.Checks;
using PeerConnect.Ice.Network;

namespace PeerConnect.Ice.Tests;

public class CheckListTests
{
    private static readonly LocalBase Base1 = new(null!, new IPEndPoint(IPAddress.Parse("198.18.1.2"), 5000), 0);

    private static LocalCandidate Local(IceCandidateType type, string foundation, uint priority, LocalBase? @base = null) =>
        new(new IceCandidate { Foundation = foundation, Address = "198.18.1.2", Port = 5000, Priority = priority, Type = type }, @base ?? Base1, (@base ?? Base1).Address);

    private static RemoteCandidate Remote(string address, int port, string foundation, uint priority) =>
        new(new IceCandidate { Foundation = foundation, Address = address, Port = port, Priority = priority }, new IPEndPoint(IPAddress.Parse(address), port));

    [Fact]
    public void PairsAreOrderedByPairPriority()
    {
        var list = new IceCheckList(100);
        var local = Local(IceCandidateType.Host, "L", 2130706431);
        list.Add(new CandidatePair(local, Remote("203.0.113.1", 1, "a", 16777215)), IceRole.Controlling);
        list.Add(new CandidatePair(local, Remote("203.0.113.2", 2, "b", 2130706431)), IceRole.Controlling);
        list.Add(new CandidatePair(local, Remote("203.0.113.3", 3, "c", 1694498815)), IceRole.Controlling);
        Assert.Equal([2, 3, 1], list.Pairs.Select(p => p.Remote.EndPoint.Port));
    }

    [Fact]
    public void RedundantPairWithSameBaseAndRemoteIsPruned()
    {
        // RFC 8445 §6.1.2.4: a second pair from the same base to the same remote adds nothing.
        var list = new IceCheckList(100);
        var remote = Remote("203.0.113.1", 1, "a", 100);
        Assert.NotNull(list.Add(new CandidatePair(Local(IceCandidateType.Host, "L", 2130706431), remote), IceRole.Controlling));
        Assert.Null(list.Add(new CandidatePair(Local(IceCandidateType.Host, "L2", 1694498815), remote), IceRole.Controlling));
        Assert.Single(list.Pairs);
    }

    [Fact]
    public void ListIsCappedKeepingTheHighestPriorities()
    {
        // RFC 8445 §6.1.2.5.
        var list = new IceCheckList(2);
        var local = Local(IceCandidateType.Host, "L", 2130706431);
        list.Add(new CandidatePair(local, Remote("203.0.113.1", 1, "a", 10)), IceRole.Controlling);
        list.Add(new CandidatePair(local, Remote("203.0.113.2", 2, "b", 30)), IceRole.Controlling);
        list.Add(new CandidatePair(local, Remote("203.0.113.3", 3, "c", 20)), IceRole.Controlling);
        Assert.Equal([2, 3], list.Pairs.Select(p => p.Remote.EndPoint.Port));
    }

    [Fact]
    public void SameFoundationWaitsFrozenUntilTheFirstSucceeds()
    {
        // RFC 8445 §6.1.2.6 and §7.2.5.3.3.
        var list = new IceCheckList(100);
        var local = Local(IceCandidateType.Host, "L", 2130706431);
        var first = list.Add(new CandidatePair(local, Remote("203.0.113.1", 1, "a", 20)), IceRole.Controlling)!;
        var second = list.Add(new CandidatePair(local, Remote("203.0.113.1", 2, "a", 10)), IceRole.Controlling)!;
        var other = list.Add(new CandidatePair(local, Remote("203.0.113.9", 9, "z", 5)), IceRole.Controlling)!;
        Assert.Equal(PairState.Waiting, first.State);
        Assert.Equal(PairState.Frozen, second.State);
        Assert.Equal(PairState.Waiting, other.State);
        first.State = PairState.Succeeded;
        list.UnfreezeFoundation(first.Foundation);
        Assert.Equal(PairState.Waiting, second.State);
    }

    [Fact]
    public void TriggeredChecksGoFirstThenWaitingByPriorityThenFrozen()
    {
        var list = new IceCheckList(100);
        var local = Local(IceCandidateType.Host, "L", 2130706431);
        var high = list.Add(new CandidatePair(local, Remote("203.0.113.1", 1, "a", 30)), IceRole.Controlling)!;
        var frozen = list.Add(new CandidatePair(local, Remote("203.0.113.1", 3, "a", 25)), IceRole.Controlling)!;
        var low = list.Add(new CandidatePair(local, Remote("203.0.113.2", 2, "b", 10)), IceRole.Controlling)!;
        list.Trigger(low);
        Assert.Same(low, list.NextCheck());
        low.State = PairState.InProgress;
        Assert.Same(high, list.NextCheck());
        high.State = PairState.Failed;
        // §6.1.4.2: with nothing Waiting, the best Frozen pair is next.
        Assert.Same(frozen, list.NextCheck());
    }

    [Fact]
    public void RoleChangeRecomputesPairPriorities()
    {
        var list = new IceCheckList(100);
        var pair = list.Add(new CandidatePair(Local(IceCandidateType.Host, "L", 2130706431), Remote("203.0.113.1", 1, "a", 1694498815)), IceRole.Controlling)!;
        ulong before = pair.Priority;
        list.Reprioritise(IceRole.Controlled);
        Assert.Equal(IcePriority.Pair(1694498815, 2130706431), pair.Priority);
        Assert.NotEqual(before, pair.Priority);
    }

    [Theory]
    [InlineData(0, IcePacketKind.Stun)]
    [InlineData(3, IcePacketKind.Stun)]
    [InlineData(17, IcePacketKind.Zrtp)]
    [InlineData(20, IcePacketKind.Dtls)]
    [InlineData(63, IcePacketKind.Dtls)]
    [InlineData(64, IcePacketKind.TurnChannel)]
    [InlineData(79, IcePacketKind.TurnChannel)]
    [InlineData(80, IcePacketKind.Unknown)]
    [InlineData(128, IcePacketKind.Rtp)]
    [InlineData(191, IcePacketKind.Rtp)]
    [InlineData(192, IcePacketKind.Unknown)]
    public void DemuxFollowsRfc7983(byte first, IcePacketKind kind) =>
        Assert.Equal(kind, IceDemux.Classify([first, 0, 0, 0]));
}
