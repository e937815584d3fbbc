using System.Net;
using PeerConnect.Ice.Candidates;

namespace PeerConnect.Ice.Tests;

public class PriorityTests
{
    [Theory]
    // RFC 8445 §5.1.2.1 with the §5.1.2.2 recommended type preferences, one interface (65535), component 1.
    [InlineData(IceCandidateType.Host, 2130706431u)]
    [InlineData(IceCandidateType.PeerReflexive, 1862270975u)]
    [InlineData(IceCandidateType.ServerReflexive, 1694498815u)]
    [InlineData(IceCandidateType.Relayed, 16777215u)]
    public void CandidatePriorityFollowsRfc8445Formula(IceCandidateType type, uint expected) =>
        Assert.Equal(expected, IcePriority.Candidate(IceTypePreferences.Default.For(type), 65535, 1));

    [Fact]
    public void ComponentTwoIsOneLower() =>
        Assert.Equal(IcePriority.Candidate(126, 65535, 1) - 1, IcePriority.Candidate(126, 65535, 2));

    [Fact]
    public void PairPriorityFollowsRfc8445Section6123()
    {
        uint g = 2130706431, d = 1694498815;
        Assert.Equal(((ulong)d << 32) + (2UL * g) + 1, IcePriority.Pair(g, d));
        Assert.Equal(((ulong)d << 32) + (2UL * g), IcePriority.Pair(d, g));
    }

    [Fact]
    public void PairPriorityIsTheSameOnBothAgents()
    {
        uint local = 1694498815, remote = 2130706431;
        // Controlling computes with its own as G; controlled with the peer's as G: both land on the same number.
        Assert.Equal(IcePriority.Pair(local, remote), IcePriority.Pair(local, remote));
        Assert.NotEqual(IcePriority.Pair(local, remote), IcePriority.Pair(remote, local));
    }

    [Fact]
    public void TypePreferencesAreConfigurableButValidated()
    {
        var relayFirst = new IceTypePreferences { Relayed = 127 - 1, Host = 50 };
        relayFirst.Validate();
        Assert.True(IcePriority.Candidate(relayFirst.Relayed, 65535, 1) > IcePriority.Candidate(relayFirst.Host, 65535, 1));
        Assert.Throws<ArgumentException>(() => new IceTypePreferences { Host = 127 }.Validate());
        Assert.Throws<ArgumentException>(() => new IceTypePreferences { Host = 100 }.Validate());
    }

    [Fact]
    public void FoundationsMatchForSameTypeBaseServerAndTransport()
    {
        var server = new IPEndPoint(IPAddress.Parse("203.0.113.10"), 3478);
        var a = IceFoundation.Compute(IceCandidateType.ServerReflexive, IPAddress.Parse("198.18.1.2"), server, IceProtocol.Udp);
        var b = IceFoundation.Compute(IceCandidateType.ServerReflexive, IPAddress.Parse("198.18.1.2"), server, IceProtocol.Udp);
        Assert.Equal(a, b);
        Assert.NotEqual(a, IceFoundation.Compute(IceCandidateType.Host, IPAddress.Parse("198.18.1.2"), null, IceProtocol.Udp));
        Assert.NotEqual(a, IceFoundation.Compute(IceCandidateType.ServerReflexive, IPAddress.Parse("198.18.1.3"), server, IceProtocol.Udp));
        Assert.NotEqual(a, IceFoundation.Compute(IceCandidateType.ServerReflexive, IPAddress.Parse("198.18.1.2"), new IPEndPoint(IPAddress.Parse("203.0.113.11"), 3478), IceProtocol.Udp));
        Assert.NotEqual(a, IceFoundation.Compute(IceCandidateType.ServerReflexive, IPAddress.Parse("198.18.1.2"), server, IceProtocol.Tcp));
        Assert.InRange(a.Length, 1, 32);
    }
}
