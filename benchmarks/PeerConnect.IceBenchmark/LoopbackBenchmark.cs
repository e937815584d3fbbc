using System.Diagnostics;
using System.Globalization;
using System.Net;
using PeerConnect.Ice;
using PeerConnect.Ice.Candidates;

namespace PeerConnect.IceBenchmark;

/// <summary>
/// Two agents on 127.0.0.1, ours and aioice's, same topology: both sides gather first, then each gets the other's
/// credentials and full candidate list at t0; t1 is when the controlling side has a nominated pair (our
/// SelectedPairChanged; aioice's connect() returning). Also printed: when aioice's controlling side recorded the
/// nomination internally, which its connect() only reports after the 20 ms sleep of its check loop.
/// </summary>
internal static class LoopbackBenchmark
{
    private const string AioiceScript = """
        import asyncio, sys, time
        import aioice, aioice.ice
        aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
        async def once():
            a = aioice.Connection(ice_controlling=True, components=1, use_ipv6=False)
            b = aioice.Connection(ice_controlling=False, components=1, use_ipv6=False)
            await asyncio.gather(a.gather_candidates(), b.gather_candidates())
            nominated = []
            complete = a.check_complete
            def spy(pair):
                complete(pair)
                if a._nominated and not nominated:
                    nominated.append(time.perf_counter())
            a.check_complete = spy
            t0 = time.perf_counter()
            for x, y in ((a, b), (b, a)):
                x.remote_username, x.remote_password = y.local_username, y.local_password
                for c in y.local_candidates:
                    await x.add_remote_candidate(c)
                await x.add_remote_candidate(None)
            done = asyncio.ensure_future(b.connect())
            await a.connect()
            t1 = time.perf_counter()
            await done
            await a.close(); await b.close()
            return (t1 - t0) * 1000, (nominated[0] - t0) * 1000
        async def main():
            n = int(sys.argv[1])
            for i in range(n + 2):
                ms, nominated_ms = await once()
                if i >= 2:
                    print(ms, nominated_ms, flush=True)
        asyncio.run(main())
        """;

    public static async Task<int> RunAsync(int runs, TimeSpan ta)
    {
        var ours = new List<double>();
        for (int i = 0; i < runs + 2; i++)
        {
            double ms = await OursOnceAsync(ta);
            if (i >= 2)
            {
                ours.Add(ms); // the first two warm up the JIT
            }
        }

        var (theirs, theirsNominated) = await AioiceAsync(runs);
        Stats.Report($"PeerConnect (Ta {ta.TotalMilliseconds} ms)", ours);
        Stats.Report("aioice connect() returned", theirs);
        Stats.Report("aioice nominated internally", theirsNominated);
        Stats.Ratio(ours, theirs);
        return 0;
    }

    private static async Task<double> OursOnceAsync(TimeSpan ta)
    {
        var options = new IceAgentOptions { HostAddresses = [IPAddress.Loopback], CheckPacing = ta };
        await using var a = new IceAgent(options with { Controlling = true });
        await using var b = new IceAgent(options with { Controlling = false });
        var fromA = new List<IceCandidate?>();
        var fromB = new List<IceCandidate?>();
        var doneA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var doneB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        a.CandidateGathered += c => { fromA.Add(c); if (c is null) { doneA.TrySetResult(); } };
        b.CandidateGathered += c => { fromB.Add(c); if (c is null) { doneB.TrySetResult(); } };
        var nominated = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        a.SelectedPairChanged += _ => nominated.TrySetResult(Stopwatch.GetTimestamp());
        await a.GatherAsync();
        await b.GatherAsync();
        await Task.WhenAll(doneA.Task, doneB.Task);

        long t0 = Stopwatch.GetTimestamp();
        await Task.WhenAll(Feed(a, b.LocalParameters, fromB), Feed(b, a.LocalParameters, fromA));
        long t1 = await nominated.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;

        static async Task Feed(IceAgent agent, IceParameters remote, List<IceCandidate?> candidates)
        {
            await agent.SetRemoteParametersAsync(remote);
            foreach (var c in candidates)
            {
                await agent.AddRemoteCandidateAsync(c);
            }
        }
    }

    private static async Task<(List<double> Returned, List<double> Nominated)> AioiceAsync(int runs)
    {
        string path = Path.Combine(Path.GetTempPath(), $"peerconnect-aioice-bench-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(path, AioiceScript);
        try
        {
            var info = new ProcessStartInfo("/usr/bin/python3", [path, runs.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true };
            using var p = Process.Start(info)!;
            string output = await p.StandardOutput.ReadToEndAsync();
            await p.WaitForExitAsync();
            var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray())
                .ToList();
            return ([.. rows.Select(r => r[0])], [.. rows.Select(r => r[1])]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
