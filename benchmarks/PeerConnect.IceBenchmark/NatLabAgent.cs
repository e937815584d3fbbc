using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using PeerConnect.Ice;
using PeerConnect.Ice.Candidates;
using PeerConnect.Ice.Servers;

namespace PeerConnect.IceBenchmark;

/// <summary>
/// Our side of one NAT-lab timing series, run inside a lab namespace. JSON lines on stdin/stdout, the same protocol as
/// the aioice script in <see cref="NatLabBenchmark"/>: "gather" makes a fresh agent and answers "gathered" with its
/// credentials, proposed pacing and candidates; "go" hands it the peer's (t0) and answers "nominated" with the milliseconds until this
/// side selected a pair; "close" disposes the agent and answers "closed".
/// </summary>
internal static class NatLabAgent
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = new IceAgentOptions
        {
            Controlling = args[0] == "controlling",
            CheckPacing = TimeSpan.FromMilliseconds(int.Parse(args[1], CultureInfo.InvariantCulture)),
            StunServers = [IPEndPoint.Parse(args[2])],
        };
        if (args.Length >= 6)
        {
            options = await IceServer.ConfigureAsync(options, [new IceServer([args[3]], args[4], args[5])]);
        }

        IceAgent? agent = null;
        TaskCompletionSource<long>? selected = null;
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var message = JsonNode.Parse(line)!.AsObject();
            switch ((string?)message["type"])
            {
                case "gather":
                    agent = new IceAgent(options);
                    var candidates = new List<string>();
                    var gathered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    var nominated = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                    selected = nominated;
                    agent.CandidateGathered += c =>
                    {
                        if (c is null)
                        {
                            gathered.TrySetResult();
                        }
                        else
                        {
                            candidates.Add(c.ToString());
                        }
                    };
                    agent.SelectedPairChanged += _ => nominated.TrySetResult(Stopwatch.GetTimestamp());
                    await agent.GatherAsync();
                    await gathered.Task;
                    var local = agent.LocalParameters;
                    Emit(new { type = "gathered", ufrag = local.Ufrag, pwd = local.Password, pacing = local.Pacing?.TotalMilliseconds, candidates });
                    break;
                case "go":
                    long t0 = Stopwatch.GetTimestamp();
                    // The peer's a=ice-pacing (RFC 8839 §5.5): both sides then pace at the larger proposal (RFC 8445 §14.2).
                    var pacing = (double?)message["pacing"] is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
                    await agent!.SetRemoteParametersAsync(new IceParameters((string)message["ufrag"]!, (string)message["pwd"]!, Pacing: pacing));
                    foreach (var c in message["candidates"]!.AsArray())
                    {
                        await agent.AddRemoteCandidateAsync(IceCandidate.Parse((string)c!));
                    }

                    await agent.AddRemoteCandidateAsync(null);
                    long t1 = await selected!.Task;
                    Emit(new { type = "nominated", ms = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds });
                    break;
                case "close":
                    await agent!.DisposeAsync();
                    agent = null;
                    Emit(new { type = "closed" });
                    break;
            }
        }

        if (agent is not null)
        {
            await agent.DisposeAsync();
        }

        return 0;
    }

    private static void Emit(object message)
    {
        Console.Out.WriteLine(JsonSerializer.Serialize(message));
        Console.Out.Flush();
    }
}
