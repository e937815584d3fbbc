using Microsoft.Extensions.Time.Testing;
using PeerConnect.Ice.Candidates;
using PeerConnect.Ice.Tests.VirtualNetwork;

namespace PeerConnect.Ice.Tests.Support;

/// <summary>Builds the usual topology: a STUN server and a relay on the public network, each peer behind its own NAT (or none).</summary>
internal static class Scenario
{
    public static IceAgentOptions Fast(IceAgentOptions options) => options with
    {
        CheckRetransmissionTimeout = TimeSpan.FromMilliseconds(100),
        MaxCheckTransmissions = 4,
    };

    public static async Task<IcePeers> BuildAsync(
        NatBehavior? natA,
        NatBehavior? natB,
        bool relays = false,
        Func<IceAgentOptions, IceAgentOptions>? configureA = null,
        Func<IceAgentOptions, IceAgentOptions>? configureB = null,
        ulong? tieBreakerA = null,
        ulong? tieBreakerB = null,
        bool start = true)
    {
        var time = IcePeers.NewClock();
        var net = new VirtualNet();
        var stun = new VirtualStunServer(net.AddPublicHost("203.0.113.10"));
        var turn = new VirtualTurnRelay(net.AddPublicHost("203.0.113.20"));
        var hostA = natA is null ? net.AddPublicHost("198.51.100.1") : net.AddRouter("198.51.100.1", natA).AddHost("198.18.1.2");
        var hostB = natB is null ? net.AddPublicHost("198.51.100.2") : net.AddRouter("198.51.100.2", natB).AddHost("198.18.2.2");
        var a = Agent(time, hostA, stun, relays ? turn : null, controlling: true, configureA, tieBreakerA ?? 2);
        var b = Agent(time, hostB, stun, relays ? turn : null, controlling: false, configureB, tieBreakerB ?? 1);
        var peers = new IcePeers(time, net, a, b);
        peers.Own(stun);
        peers.Own(turn);
        if (start)
        {
            await peers.StartAsync();
        }

        return peers;
    }

    private static IceAgent Agent(FakeTimeProvider time, VirtualHost host, VirtualStunServer stun, VirtualTurnRelay? turn, bool controlling, Func<IceAgentOptions, IceAgentOptions>? configure, ulong tieBreaker)
    {
        var options = Fast(new IceAgentOptions
        {
            Controlling = controlling,
            SocketFactory = host,
            StunServers = [stun.EndPoint],
            RelayProviders = turn is null ? [] : [turn.ProviderFor(host)],
        });
        return new IceAgent(configure?.Invoke(options) ?? options, time, null, tieBreaker);
    }

    public static bool IsRelayed(IceCandidatePairInfo pair) =>
        pair.Local.Type == IceCandidateType.Relayed || pair.Remote.Type == IceCandidateType.Relayed;
}
