using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace PeerConnect.IceBenchmark;

/// <summary>
/// The loopback comparison repeated across real NATs: builds a lab with tests/PeerConnect.NatLab.Tests/natlab.sh
/// (198.18.0.0/15 and 203.0.113.0/24 only), starts our STUN/TURN server (the NAT-lab helper) in its public namespace,
/// then runs a series of our agent pair and a series of aioice's, one agent behind each NAT. Per run both sides
/// gather, 200 ms pass, then each gets the other's credentials and candidates at once (t0); the controlling side
/// reports when it has a nominated pair. The lab is removed afterwards, also on failure or Ctrl+C.
/// </summary>
internal static class NatLabBenchmark
{
    private const string Public = "203.0.113.10";
    private const string TurnUser = "lab";
    private const string TurnPassword = "lab-password";
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan SignallingDelay = TimeSpan.FromMilliseconds(200);

    private const string AioiceScript = """
        import asyncio, json, sys, time
        import aioice
        role, stun_host, stun_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
        turn = sys.argv[4:]
        def emit(message):
            print(json.dumps(message), flush=True)
        async def main():
            loop = asyncio.get_running_loop()
            reader = asyncio.StreamReader()
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
            conn = None
            while line := await reader.readline():
                message = json.loads(line)
                if message["type"] == "gather":
                    extra = dict(turn_server=(turn[0], int(turn[1])), turn_username=turn[2], turn_password=turn[3]) if turn else {}
                    conn = aioice.Connection(ice_controlling=role == "controlling", components=1, use_ipv6=False,
                                             stun_server=(stun_host, stun_port), **extra)
                    await conn.gather_candidates()
                    emit({"type": "gathered", "ufrag": conn.local_username, "pwd": conn.local_password,
                          "candidates": [c.to_sdp() for c in conn.local_candidates]})
                elif message["type"] == "go":
                    t0 = time.perf_counter()
                    conn.remote_username, conn.remote_password = message["ufrag"], message["pwd"]
                    for c in message["candidates"]:
                        await conn.add_remote_candidate(aioice.Candidate.from_sdp(c))
                    await conn.add_remote_candidate(None)
                    await conn.connect()
                    emit({"type": "nominated", "ms": (time.perf_counter() - t0) * 1000})
                elif message["type"] == "close":
                    await conn.close()
                    emit({"type": "closed"})
        asyncio.run(main())
        """;

    public static async Task<int> RunAsync(int runs, TimeSpan ta, string topology)
    {
        var (natA, natB, relay) = topology switch
        {
            "cone" => ("cone", "cone", false),
            "relay" => ("symmetric", "symmetric", true),
            _ => throw new ArgumentException($"unknown topology {topology}: cone or relay"),
        };
        string root = RepositoryRoot();
        string script = Path.Combine(root, "tests", "PeerConnect.NatLab.Tests", "natlab.sh");
        string helper = Path.Combine(root, "tests", "PeerConnect.NatLab.Helper", "bin", "Release", "net10.0", "PeerConnect.NatLab.Helper.dll");
        if (!File.Exists(helper))
        {
            throw new FileNotFoundException("Build tests/PeerConnect.NatLab.Helper in Release first.", helper);
        }

        string self = typeof(NatLabBenchmark).Assembly.Location;
        string python = Path.Combine(Path.GetTempPath(), $"peerconnect-aioice-lab-{Guid.NewGuid():N}.py");
        string id = Convert.ToHexString(BitConverter.GetBytes(Random.Shared.Next())).ToLowerInvariant()[..6];
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        var processes = new List<JsonLinesProcess>();
        bool up = false;
        try
        {
            await File.WriteAllTextAsync(python, AioiceScript);
            await ScriptAsync(script, "up", id, natA, natB);
            up = true;
            string[] serverArgs = relay ? [helper, "stun", Public, "3478", TurnUser, TurnPassword] : [helper, "stun", Public, "3478"];
            var server = JsonLinesProcess.StartInNamespace($"pc{id}-pub", "server", "dotnet", serverArgs);
            processes.Add(server);
            await server.ReadAsync("ready", StepTimeout);

            string[] ourTurn = relay ? [$"turn:{Public}:3478", TurnUser, TurnPassword] : [];
            string[] theirTurn = relay ? [Public, "3478", TurnUser, TurnPassword] : [];
            var ours = await SeriesAsync(runs, processes, cancel.Token, (ns, role) =>
                JsonLinesProcess.StartInNamespace(ns, $"ours {role}", "dotnet", [self, "lab-agent", role, ta.TotalMilliseconds.ToString(CultureInfo.InvariantCulture), $"{Public}:3478", .. ourTurn]), id);
            var theirs = await SeriesAsync(runs, processes, cancel.Token, (ns, role) =>
                JsonLinesProcess.StartInNamespace(ns, $"aioice {role}", "/usr/bin/python3", [python, role, Public, "3478", .. theirTurn]), id);

            Console.WriteLine($"NAT lab {natA}/{natB}{(relay ? " with TURN" : string.Empty)}");
            Stats.Report($"PeerConnect (Ta {ta.TotalMilliseconds} ms)", ours);
            Stats.Report("aioice connect() returned", theirs);
            Stats.Ratio(ours, theirs);
            return 0;
        }
        finally
        {
            foreach (var p in processes)
            {
                p.Dispose();
            }

            if (up)
            {
                await ScriptAsync(script, "down", id);
            }

            File.Delete(python);
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Two warm-up runs, then <paramref name="runs"/> timed ones; returns the controlling side's figures.</summary>
    private static async Task<List<double>> SeriesAsync(int runs, List<JsonLinesProcess> processes, CancellationToken cancellationToken, Func<string, string, JsonLinesProcess> start, string id)
    {
        var a = start($"pc{id}-a", "controlling");
        processes.Add(a);
        var b = start($"pc{id}-b", "controlled");
        processes.Add(b);
        var result = new List<double>();
        for (int i = 0; i < runs + 2; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            a.Send(new { type = "gather" });
            b.Send(new { type = "gather" });
            var fromA = await a.ReadAsync("gathered", StepTimeout);
            var fromB = await b.ReadAsync("gathered", StepTimeout);
            // A signalling round trip separates gathering from checks in a real call. Without it our first check would
            // wait out the rest of Ta after the srflx/relay gathering transactions (RFC 8445 §14.1 paces both alike),
            // and t0 would not be the start of checks.
            await Task.Delay(SignallingDelay, cancellationToken);
            a.Send(Go(fromB));
            b.Send(Go(fromA));
            var nominated = await a.ReadAsync("nominated", StepTimeout);
            await b.ReadAsync("nominated", StepTimeout);
            a.Send(new { type = "close" });
            b.Send(new { type = "close" });
            await a.ReadAsync("closed", StepTimeout);
            await b.ReadAsync("closed", StepTimeout);
            if (i >= 2)
            {
                result.Add((double)nominated["ms"]!);
            }
        }

        return result;

        static object Go(JsonObject gathered) => new
        {
            type = "go",
            ufrag = (string?)gathered["ufrag"],
            pwd = (string?)gathered["pwd"],
            pacing = (double?)gathered["pacing"],
            candidates = gathered["candidates"],
        };
    }

    private static async Task ScriptAsync(string script, params string[] arguments)
    {
        var info = new ProcessStartInfo("bash", [script, .. arguments]) { RedirectStandardError = true };
        using var process = Process.Start(info)!;
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"natlab.sh {string.Join(' ', arguments)} failed: {error}");
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PeerConnect.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("PeerConnect.sln not found above the benchmark's directory.");
    }
}
