using System.Diagnostics;
using System.Globalization;
using System.Net;
using PeerConnect.Ice;
using PeerConnect.Ice.Candidates;

// Time from starting checks to the first nominated pair, two agents on 127.0.0.1, ours and aioice's, same topology:
// both sides gather first, then each gets the other's credentials and full candidate list at t0; t1 is when the
// controlling side has a nominated pair (our SelectedPairChanged; aioice's connect() returning).
// Usage: dotnet PeerConnect.IceBenchmark.dll [runs] [Ta in ms, default 50 (RFC 8445 §14.2); aioice paces at 20]
int runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30;
var ta = TimeSpan.FromMilliseconds(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50);

var ours = new List<double>();
for (int i = 0; i < runs + 2; i++)
{
    double ms = await OursOnceAsync(ta);
    if (i >= 2)
    {
        ours.Add(ms); // the first two warm up the JIT
    }
}

var theirs = await AioiceAsync(runs);
Report($"PeerConnect (Ta {ta.TotalMilliseconds} ms)", ours);
Report("aioice", theirs);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio p50 {Percentile(ours, 50) / Percentile(theirs, 50):F3} p95 {Percentile(ours, 95) / Percentile(theirs, 95):F3}"));
return 0;

static async Task<double> OursOnceAsync(TimeSpan ta)
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

static async Task<List<double>> AioiceAsync(int runs)
{
    const string script = """
        import asyncio, sys, time
        import aioice, aioice.ice
        aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
        async def once():
            a = aioice.Connection(ice_controlling=True, components=1, use_ipv6=False)
            b = aioice.Connection(ice_controlling=False, components=1, use_ipv6=False)
            await asyncio.gather(a.gather_candidates(), b.gather_candidates())
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
            return (t1 - t0) * 1000
        async def main():
            n = int(sys.argv[1])
            for i in range(n + 2):
                ms = await once()
                if i >= 2:
                    print(ms, flush=True)
        asyncio.run(main())
        """;
    string path = Path.Combine(Path.GetTempPath(), $"peerconnect-aioice-bench-{Guid.NewGuid():N}.py");
    await File.WriteAllTextAsync(path, script);
    try
    {
        var info = new ProcessStartInfo("/usr/bin/python3", [path, runs.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true };
        using var p = Process.Start(info)!;
        string output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture))];
    }
    finally
    {
        File.Delete(path);
    }
}

static void Report(string name, List<double> values) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: n={values.Count} p50={Percentile(values, 50):F2} ms p95={Percentile(values, 95):F2} ms"));

static double Percentile(List<double> values, int p)
{
    var sorted = values.Order().ToList();
    int rank = (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1;
    return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
}
