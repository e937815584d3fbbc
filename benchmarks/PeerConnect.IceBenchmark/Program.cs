using System.Globalization;
using PeerConnect.IceBenchmark;

// Time from starting checks to the controlling side's first nominated pair, ours against aioice 0.8.0 on the same
// topology, reported as p50/p95 and their ratio.
//   [runs] [Ta ms]                     both pairs of agents on 127.0.0.1 (default 30 runs, Ta 50 ms, RFC 8445 §14.2)
//   natlab [runs] [Ta ms] [topology]   both pairs in the NAT lab (tests/PeerConnect.NatLab.Tests/natlab.sh, needs root):
//                                      topology cone (cone/cone, srflx pair, the default) or relay (symmetric/symmetric, TURN)
//   lab-agent ROLE TA_MS STUN [TURN_URI USER PASSWORD]
//                                      our timed agent inside a lab namespace, driven by the natlab mode over stdin/stdout
if (args.Length > 0 && args[0] == "lab-agent")
{
    return await NatLabAgent.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "natlab")
{
    return await NatLabBenchmark.RunAsync(Arg(args, 1, 30), TimeSpan.FromMilliseconds(Arg(args, 2, 50)), args.Length > 3 ? args[3] : "cone");
}

return await LoopbackBenchmark.RunAsync(Arg(args, 0, 30), TimeSpan.FromMilliseconds(Arg(args, 1, 50)));

static int Arg(string[] args, int index, int fallback) =>
    args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
