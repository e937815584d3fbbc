using System.Net;
using PeerConnect.Ice.Candidates;
using PeerConnect.Ice.Mdns;
using PeerConnect.Ice.Network;
using PeerConnect.Ice.Tests.Support;
using PeerConnect.Ice.Tests.VirtualNetwork;
using PeerConnect.Stun;

namespace PeerConnect.Ice.Tests;

public class HostNameResolutionTests
{
    private const string Name = "9b2f7e0c-1d3a-4c55-8e6f-2a7b9c0d1e2f.local";

    [Fact]
    public void LocalCandidatesAreResolvedByMulticastDnsUnlessTurnedOff()
    {
        // Issue #4: Chromium's mDNS host candidates are resolved by default; null is the way to turn it off.
        Assert.IsType<MulticastDnsResolver>(new IceAgentOptions().HostNameResolver);
        Assert.Null((new IceAgentOptions() with { HostNameResolver = null }).HostNameResolver);
    }

    [Fact]
    public async Task AResolvedLocalCandidateIsChecked()
    {
        var time = IcePeers.NewClock();
        var net = new VirtualNet();
        var host = net.AddPublicHost("198.51.100.1");
        var peer = net.AddPublicHost("198.51.100.9").Bind(7000);
        var resolver = new FixedResolver(Name, IPAddress.Parse("198.51.100.9"));
        await using var agent = new IceAgent(new IceAgentOptions { SocketFactory = host, HostNameResolver = resolver }, time, null, 1);
        await agent.GatherAsync();
        await agent.SetRemoteParametersAsync(IceParameters.Generate());
        await agent.AddRemoteCandidateAsync(IceCandidate.Parse($"candidate:1 1 udp 2122260223 {Name} 7000 typ host"));

        var buffer = new byte[1500];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = await peer.ReceiveAsync(buffer, cts.Token);
        Assert.Equal(StunMessageClass.Request, StunMessageReader.Parse(buffer.AsSpan(0, received.Count)).Class);
        Assert.Equal([Name], resolver.Asked);
    }

    private sealed class FixedResolver(string name, IPAddress address) : IIceHostNameResolver
    {
        public List<string> Asked { get; } = [];

        public Task<IReadOnlyList<IPAddress>> ResolveAsync(string hostName, CancellationToken cancellationToken)
        {
            lock (Asked)
            {
                Asked.Add(hostName);
            }

            return Task.FromResult<IReadOnlyList<IPAddress>>(hostName == name ? [address] : []);
        }
    }
}
