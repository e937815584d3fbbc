using PeerConnect.Ice.Candidates;
using PeerConnect.Ice.Checks;
using PeerConnect.Ice.Tests.Support;
using PeerConnect.Ice.Tests.VirtualNetwork;
using PeerConnect.Stun;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Ice.Tests;

public class PacingTests
{
    [Fact]
    public async Task LocalParametersProposeTheConfiguredTaAndALiteAgentNone()
    {
        // RFC 8839 §5.5: a=ice-pacing carries the proposed Ta in milliseconds; a lite agent sends no checks.
        await using var full = new IceAgent(new IceAgentOptions { CheckPacing = TimeSpan.FromMilliseconds(20) });
        await using var lite = new IceAgent(new IceAgentOptions { Lite = true });
        Assert.Equal(TimeSpan.FromMilliseconds(20), full.LocalParameters.Pacing);
        Assert.Null(lite.LocalParameters.Pacing);
    }

    [Fact]
    public void PacingThatIsNotAWholeNumberOfMillisecondsIsRejected()
    {
        var parameters = IceParameters.Generate() with { Pacing = TimeSpan.FromMilliseconds(20.5) };
        Assert.Throws<ArgumentException>(parameters.Validate);
    }

    [Fact]
    public async Task BothAgentsPaceAtTheLargerProposedTa()
    {
        // RFC 8445 §14.2: "Both agents MUST use the higher value of the proposed values."
        var checks = await CheckTimesAsync(remotePacing: TimeSpan.FromMilliseconds(80), ourPacing: TimeSpan.FromMilliseconds(20));
        Assert.Equal([0, 80], checks);
    }

    [Fact]
    public async Task APeerThatProposesNoPacingCountsAsTheDefault()
    {
        // RFC 8445 §14.2: "If an agent does not propose a value, the default value is used for that agent when
        // comparing which value is higher." An agent configured for 20 ms paces at 50 ms against it.
        var checks = await CheckTimesAsync(remotePacing: null, ourPacing: TimeSpan.FromMilliseconds(20));
        Assert.Equal([0, 50], checks);
    }

    [Fact]
    public async Task EqualProposalsKeepTheConfiguredTa()
    {
        var checks = await CheckTimesAsync(remotePacing: TimeSpan.FromMilliseconds(20), ourPacing: TimeSpan.FromMilliseconds(20));
        Assert.Equal([0, 20], checks);
    }

    [Fact]
    public async Task PreciseTimersFireAfterEveryChangeAndNeverAfterDispose()
    {
        int fired = 0;
        var first = new SemaphoreSlim(0);
        var timer = PreciseTimeProvider.Instance.CreateTimer(_ => { Interlocked.Increment(ref fired); first.Release(); }, null, TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        Assert.True(await first.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(timer.Change(TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan));
        Assert.True(await first.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(timer.Change(TimeSpan.FromMilliseconds(50), Timeout.InfiniteTimeSpan));
        await timer.DisposeAsync();
        Assert.False(timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        Assert.False(await first.WaitAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(2, Volatile.Read(ref fired));
    }

    [Fact]
    public async Task PeriodicPreciseTimersKeepFiring()
    {
        var ticks = new SemaphoreSlim(0);
        await using var timer = PreciseTimeProvider.Instance.CreateTimer(_ => ticks.Release(), null, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1));
        for (int i = 0; i < 3; i++)
        {
            Assert.True(await ticks.WaitAsync(TimeSpan.FromSeconds(30)));
        }
    }

    /// <summary>
    /// A controlling agent with two remote candidates that never answer: returns the fake times (ms) at which the first
    /// two checks reach them, stepping the clock 1 ms at a time.
    /// </summary>
    private static async Task<List<int>> CheckTimesAsync(TimeSpan? remotePacing, TimeSpan ourPacing)
    {
        var time = IcePeers.NewClock();
        var net = new VirtualNet();
        var host = net.AddPublicHost("198.51.100.1");
        var peer = net.AddPublicHost("198.51.100.9");
        var silent = new[] { peer.Bind(7000), peer.Bind(7001) };
        await using var agent = new IceAgent(new IceAgentOptions { SocketFactory = host, CheckPacing = ourPacing }, time, null, 1);
        await agent.GatherAsync();
        await agent.SetRemoteParametersAsync(IceParameters.Generate() with { Pacing = remotePacing });
        var arrivals = new List<int>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var readers = silent.Select(socket => CountRequestsAsync(socket, time, arrivals, cts.Token)).ToList();
        uint priority = 2130706431;
        foreach (var socket in silent)
        {
            await agent.AddRemoteCandidateAsync(new IceCandidate
            {
                Foundation = "1",
                Priority = priority--,
                Address = socket.LocalEndPoint.Address.ToString(),
                Port = socket.LocalEndPoint.Port,
                Type = IceCandidateType.Host,
            });
        }

        for (int ms = 0; ms < 200 && Count(arrivals) < 2; ms++)
        {
            await SettleAsync(agent, net);
            if (Count(arrivals) < 2)
            {
                time.Advance(TimeSpan.FromMilliseconds(1));
            }
        }

        await cts.CancelAsync();
        await Task.WhenAll(readers);
        lock (arrivals)
        {
            return [.. arrivals.Take(2)];
        }

        static int Count(List<int> arrivals)
        {
            lock (arrivals)
            {
                return arrivals.Count;
            }
        }
    }

    private static async Task CountRequestsAsync(IDatagramTransport socket, Microsoft.Extensions.Time.Testing.FakeTimeProvider time, List<int> arrivals, CancellationToken cancellationToken)
    {
        var start = time.GetUtcNow();
        var buffer = new byte[1500];
        try
        {
            while (true)
            {
                var r = await socket.ReceiveAsync(buffer, cancellationToken);
                if (StunMessageReader.Parse(buffer.AsSpan(0, r.Count)).Class == StunMessageClass.Request)
                {
                    lock (arrivals)
                    {
                        arrivals.Add((int)(time.GetUtcNow() - start).TotalMilliseconds);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task SettleAsync(IceAgent agent, VirtualNet net)
    {
        for (int quiet = 0, i = 0; quiet < 3 && i < 2000; i++)
        {
            bool idle = net.InFlight == 0 && agent.IsIdle;
            quiet = idle ? quiet + 1 : 0;
            await Task.Delay(idle ? 0 : 1);
            await Task.Yield();
        }
    }
}
