using System.Net;
using PeerConnect.Ice;
using PeerConnect.Ice.Candidates;

namespace PeerConnect.Interop.Tests;

/// <summary>Our ICE agent against aiortc's aioice on loopback, in both roles, with data both ways.</summary>
public class AioiceIceInteropTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ConnectsToAioiceAndExchangesData(bool weControl)
    {
        Assert.True(AioicePeer.IsInstalled(), "python3-aioice is missing (apt-get install python3-aiortc)");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var peer = AioicePeer.Start(controlling: !weControl);
        await using var agent = new IceAgent(new IceAgentOptions { Controlling = weControl, HostAddresses = [IPAddress.Loopback] });
        var ours = new List<string>();
        var gathered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.CandidateGathered += c =>
        {
            if (c is null)
            {
                gathered.TrySetResult();
            }
            else
            {
                ours.Add(c.ToString()["candidate:".Length..]);
            }
        };
        var selected = new TaskCompletionSource<IceCandidatePairInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.SelectedPairChanged += p => selected.TrySetResult(p);

        var theirs = await peer.ReadAsync(cts.Token);
        await agent.SetRemoteParametersAsync(new IceParameters((string)theirs["ufrag"]!, (string)theirs["pwd"]!));
        foreach (var line in theirs["candidates"]!.AsArray())
        {
            await agent.AddRemoteCandidateAsync(IceCandidate.Parse((string)line!));
        }

        await agent.AddRemoteCandidateAsync(null);
        await agent.GatherAsync();
        await gathered.Task.WaitAsync(cts.Token);
        await peer.WriteAsync(new { ufrag = agent.LocalParameters.Ufrag, pwd = agent.LocalParameters.Password, candidates = ours });

        var connected = await peer.ReadAsync(cts.Token);
        Assert.True((bool)connected["connected"]!);
        var pair = await selected.Task.WaitAsync(cts.Token);
        Assert.Equal("127.0.0.1", pair.Remote.Address);
        Assert.Equal(weControl ? IceRole.Controlling : IceRole.Controlled, agent.Role);

        var buffer = new byte[1500];
        int n = await agent.Pipe.ReceiveAsync(buffer, cts.Token);
        Assert.Equal("hello from aioice", System.Text.Encoding.ASCII.GetString(buffer, 1, n - 1));
        byte[] ping = [23, .. "hello from PeerConnect"u8];
        await agent.Pipe.SendAsync(ping, cts.Token);
        var echoed = await peer.ReadAsync(cts.Token);
        Assert.Equal(Convert.ToHexString(ping).ToLowerInvariant(), (string)echoed["received"]!);
        n = await agent.Pipe.ReceiveAsync(buffer, cts.Token);
        Assert.Equal((byte)128, buffer[0]);
        Assert.Equal(ping[1..], buffer[1..n]);
    }
}
