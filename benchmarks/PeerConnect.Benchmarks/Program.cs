using BenchmarkDotNet.Running;
using PeerConnect.Benchmarks;

// Load tools run as verbs; anything else goes to BenchmarkDotNet.
return args.FirstOrDefault() switch
{
    "stun-load" => await StunBindingLoad.RunAsync(args[1..]),
    _ => RunBenchmarks(args),
};

static int RunBenchmarks(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(StunCodecBenchmarks).Assembly).Run(args);
    return 0;
}
