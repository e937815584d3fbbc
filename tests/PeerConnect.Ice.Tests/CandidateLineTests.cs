using PeerConnect.Ice.Candidates;

namespace PeerConnect.Ice.Tests;

public class CandidateLineTests
{
    [Fact]
    public void HostCandidateRoundTrips()
    {
        const string line = "candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host generation 0 ufrag abcd";
        var c = IceCandidate.Parse(line);
        Assert.Equal("1", c.Foundation);
        Assert.Equal(1, c.Component);
        Assert.Equal(IceProtocol.Udp, c.Protocol);
        Assert.Equal(2130706431u, c.Priority);
        Assert.Equal("192.0.2.1", c.Address);
        Assert.Equal(50000, c.Port);
        Assert.Equal(IceCandidateType.Host, c.Type);
        Assert.Equal(0, c.Generation);
        Assert.Equal("abcd", c.Ufrag);
        Assert.Equal(line, c.ToString());
    }

    [Fact]
    public void ServerReflexiveCarriesRelatedAddress()
    {
        var c = IceCandidate.Parse("a=candidate:842163049 1 UDP 1677729535 203.0.113.7 61000 typ srflx raddr 198.18.1.2 rport 50000");
        Assert.Equal(IceCandidateType.ServerReflexive, c.Type);
        Assert.Equal("198.18.1.2", c.RelatedAddress);
        Assert.Equal(50000, c.RelatedPort);
        Assert.Equal("candidate:842163049 1 udp 1677729535 203.0.113.7 61000 typ srflx raddr 198.18.1.2 rport 50000", c.ToString());
    }

    [Fact]
    public void MdnsHostNameIsKeptAndFlagged()
    {
        var c = IceCandidate.Parse("candidate:3 1 udp 2122260223 1f4712db-ea17-4bcf-a596-105139dfd8bf.local 54321 typ host generation 0 network-id 1 network-cost 10");
        Assert.True(c.IsMdns);
        Assert.Null(c.EndPoint);
        Assert.Equal([new("network-id", "1"), new("network-cost", "10")], c.Extensions);
        Assert.EndsWith("network-id 1 network-cost 10", c.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TcpCandidateNeedsTcpType()
    {
        var c = IceCandidate.Parse("candidate:5 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active");
        Assert.Equal(IceTcpType.Active, c.TcpType);
        Assert.Throws<IceCandidateParseException>(() => IceCandidate.Parse("candidate:5 1 tcp 1518280447 192.0.2.1 9 typ host"));
    }

    [Fact]
    public void Ipv6AddressesAreAccepted()
    {
        var c = IceCandidate.Parse("candidate:7 1 udp 2130706431 2001:db8::1 4000 typ host");
        Assert.Equal(System.Net.Sockets.AddressFamily.InterNetworkV6, c.EndPoint!.AddressFamily);
    }

    [Theory]
    [InlineData("candidate:1 1 udp 1 192.0.2.1 5000")]
    [InlineData("candidate:1 0 udp 1 192.0.2.1 5000 typ host")]
    [InlineData("candidate:1 1 sctp 1 192.0.2.1 5000 typ host")]
    [InlineData("candidate:1 1 udp 0 192.0.2.1 5000 typ host")]
    [InlineData("candidate:1 1 udp 1 192.0.2.1 70000 typ host")]
    [InlineData("candidate:1 1 udp 1 192.0.2.1 5000 typ bogus")]
    [InlineData("candidate:1 1 udp 1 192.0.2.1 5000 type host")]
    [InlineData("candidate:1 1 udp 1 not_an_address! 5000 typ host")]
    [InlineData("candidate:1 1 udp 1 192.0.2.1 5000 typ host generation")]
    [InlineData("candidate:bad*foundation 1 udp 1 192.0.2.1 5000 typ host")]
    public void MalformedLinesAreRejected(string line)
    {
        Assert.Throws<IceCandidateParseException>(() => IceCandidate.Parse(line));
        Assert.False(IceCandidate.TryParse(line, out _));
    }
}
