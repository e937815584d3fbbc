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
    public async Task PortRestrictedConeAndSymmetricFailWithoutARelay()
    {
        // MASQUERADE + conntrack filters by address and port: B's checks come from ports A never sent to, and A's
        // checks go to B's STUN mapping, which only lets the STUN server in. No direct pair can work: this case needs
        // TURN, which is added when the TURN client lands; until then the agents must report failed, not hang.
        using var cts = Timeout();
        await using var lab = await NatLab.StartAsync("cone", "symmetric", cts.Token);
        await lab.A.WaitForAsync(m => (string?)m["type"] == "state" && (string?)m["state"] == "Failed", cts.Token);
        Assert.DoesNotContain(lab.A.Seen, m => (string?)m["type"] == "selected");
    }
}
