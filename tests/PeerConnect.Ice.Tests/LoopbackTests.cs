using System.Net;

namespace PeerConnect.Ice.Tests;

/// <summary>Two agents on real UDP sockets on 127.0.0.1, with the system clock.</summary>
public class LoopbackTests
{
    [Fact]
    public async Task TwoAgentsConnectOverRealSocketsAndExchangeData()
    {
        var options = new IceAgentOptions { HostAddresses = [IPAddress.Loopback] };
        await using var a = new IceAgent(options with { Controlling = true });
        await using var b = new IceAgent(options with { Controlling = false });
        a.CandidateGathered += c => _ = b.AddRemoteCandidateAsync(c);
        b.CandidateGathered += c => _ = a.AddRemoteCandidateAsync(c);
        var connectedA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connectedB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        a.SelectedPairChanged += _ => connectedA.TrySetResult();
        b.SelectedPairChanged += _ => connectedB.TrySetResult();
        await a.SetRemoteParametersAsync(b.LocalParameters);
        await b.SetRemoteParametersAsync(a.LocalParameters);
        await a.GatherAsync();
        await b.GatherAsync();
        await Task.WhenAll(connectedA.Task, connectedB.Task).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("127.0.0.1", a.SelectedPair!.Local.Address);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[2048];
        for (int i = 0; i < 100; i++)
        {
            byte[] toB = [23, (byte)i, 1, 2, 3];
            byte[] toA = [128, (byte)i, 9];
            await a.Pipe.SendAsync(toB, cts.Token);
            int n = await b.Pipe.ReceiveAsync(buffer, cts.Token);
            Assert.Equal(toB, buffer[..n]);
            await b.Pipe.SendAsync(toA, cts.Token);
            n = await a.Pipe.ReceiveAsync(buffer, cts.Token);
            Assert.Equal(toA, buffer[..n]);
        }
    }
}
