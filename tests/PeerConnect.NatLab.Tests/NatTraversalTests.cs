namespace PeerConnect.NatLab.Tests;

/// <summary>
/// Two of our agents, each behind its own Linux NAT (iptables in network namespaces, see natlab.sh), with our STUN
/// server on the "public" network. Every run builds and removes its own namespaces.
/// </summary>
[Collection("NatLab")]
public class NatTraversalTests
{
    private static CancellationTokenSource Timeout() => new(TimeSpan.FromSeconds(60));

    [Fact]
    public async Task BothConeNatsConnectDirectlyOverServerReflexiveCandidates()
    {
        // MASQUERADE keeps the source port, so each side's srflx address is where the other's checks land;
        // once both have sent, conntrack lets the other side's checks in.
        using var cts = Timeout();
        await using var lab = await NatLab.StartAsync("cone", "cone", cts.Token);
        var (a, b) = await lab.ConnectedAsync(cts.Token);
        Assert.Equal("srflx", (string?)a["localType"]);
        Assert.Equal("srflx", (string?)a["remoteType"]);
        Assert.StartsWith("203.0.113.2:", (string?)a["remote"], StringComparison.Ordinal);
        Assert.StartsWith("203.0.113.1:", (string?)b["remote"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task FullConeAndSymmetricConnectDirectlyThroughAPeerReflexiveCandidate()
    {
        // B's NAT gives each destination a random port, so B's srflx (its port towards the STUN server) is useless
        // to A. A's NAT forwards any inbound UDP, so B's check arrives from B's new port; A learns it as a
        // peer-reflexive candidate and its answer goes back through the mapping B's check opened: direct, no relay.
        using var cts = Timeout();
        await using var lab = await NatLab.StartAsync("fullcone", "symmetric", cts.Token);
        var (a, b) = await lab.ConnectedAsync(cts.Token);
        Assert.Equal("prflx", (string?)a["remoteType"]);
        Assert.NotEqual("relay", (string?)a["localType"]);
        Assert.NotEqual("relay", (string?)b["localType"]);
    }

    [Fact]
    public async Task PortRestrictedConeAndSymmetricConnectThroughTurn()
    {
        // MASQUERADE + conntrack filters by address and port: B's checks come from ports A never sent to, and A's
        // checks go to B's STUN mapping, which only lets the STUN server in. No direct pair can work (RFC 4787 §5:
        // address-and-port-dependent filtering against address-and-port-dependent mapping), so the path is a
        // relayed candidate on our TURN server: its permissions are per IP (RFC 8656 §9), so whichever new port B's
        // NAT picks towards the relay is let through.
        using var cts = Timeout();
        await using var lab = await NatLab.StartAsync("cone", "symmetric", cts.Token, TurnUdp, TurnUdp);
        var (a, b) = await lab.ConnectedAsync(cts.Token);
        AssertRelayed(a, b);
    }

    [Fact]
    public async Task BothSymmetricConnectThroughTurn()
    {
        // Each NAT gives every destination a new random port: server-reflexive addresses are useless to the peer
        // and each side's checks arrive from ports the other never sent to. Only TURN works.
        using var cts = Timeout();
        await using var lab = await NatLab.StartAsync("symmetric", "symmetric", cts.Token, TurnUdp, TurnUdp);
        var (a, b) = await lab.ConnectedAsync(cts.Token);
        AssertRelayed(a, b);
    }

    [Fact]
    public async Task UdpBlockedOnOneSideConnectsThroughTurnOverTcp()
    {
        // A's router drops every UDP datagram from A's network (natlab.sh udpblock): no host, server-reflexive or
        // UDP TURN path exists for A. Its only candidate that can carry anything is relayed over TCP to the TURN
        // server (RFC 8656 §3.1); B reaches that relayed address over plain UDP.
        using var cts = Timeout();
        await using var lab = await NatLab.StartAsync("udpblock", "cone", cts.Token, TurnTcp, TurnUdp);
        var (a, b) = await lab.ConnectedAsync(cts.Token);
        Assert.Equal("relay", (string?)a["localType"]);
        Assert.StartsWith(NatLab.StunAddress + ":", (string?)a["local"], StringComparison.Ordinal);
        Assert.Equal("relay", (string?)b["remoteType"]);
        Assert.Equal((string?)a["local"], (string?)b["remote"]);
    }

    private const string TurnUdp = "turn:" + NatLab.StunAddress + ":3478";
    private const string TurnTcp = "turn:" + NatLab.StunAddress + ":3478?transport=tcp";

    /// <summary>Each side's selected pair has a relayed end, on our TURN server's address.</summary>
    private static void AssertRelayed(System.Text.Json.Nodes.JsonObject a, System.Text.Json.Nodes.JsonObject b)
    {
        foreach (var side in new[] { a, b })
        {
            string? localType = (string?)side["localType"], remoteType = (string?)side["remoteType"];
            Assert.True(localType == "relay" || remoteType == "relay", $"no relayed end in {side.ToJsonString()}");
            string? relayed = localType == "relay" ? (string?)side["local"] : (string?)side["remote"];
            Assert.StartsWith(NatLab.StunAddress + ":", relayed, StringComparison.Ordinal);
        }
    }
}
