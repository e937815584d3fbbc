using System.Diagnostics;
using System.Globalization;
using System.Net;
using PeerConnect.Stun.Transport;
using PeerConnect.Turn.Client;
using PeerConnect.TurnLoad;

// turn-load: drives any TURN server through N allocations with ChannelData to an echo peer of ours, and the same
// load over a direct loopback socket as the baseline; prints one Markdown row per path and payload size. With
// --relay tcp it does the same through TCP allocations (RFC 6062) to a TCP echo peer (TcpRelayLoad).
LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(LoadOptions.Usage);
    return 2;
}

if (options.TcpRelay)
{
    return await TcpRelayLoad.RunAsync(options);
}

using var peer = new EchoPeer(options.PeerAddress);
var clients = new List<TurnClient>();
var direct = new List<IDatagramTransport>();
try
{
    for (int i = 0; i < options.Allocations; i++)
    {
        TurnClient client = await TurnClient.ConnectAsync(options.ClientOptions(i));
        clients.Add(client);
        await client.AllocateAsync();
        await client.BindChannelAsync(peer.EndPoint);
        direct.Add(UdpDatagramTransport.Bind(new IPEndPoint(options.PeerAddress, 0)));
    }

    Console.WriteLine($"turn-load: server {options.Server} over {options.Transport}, {options.Allocations} allocations, " +
        $"{(options.PacketsPerSecond > 0 ? $"{options.PacketsPerSecond} pkt/s offered" : $"flat out, window {options.Window}/allocation")}, " +
        $"warm-up {options.Warmup.TotalSeconds} s, measured {options.Duration.TotalSeconds} s");
    Console.WriteLine();
    Console.WriteLine("| path | payload B | round trips/s | relayed pkt/s | loss | RTT p50 µs | RTT p99 µs | added p50 µs | added p99 µs | server CPU s / M relayed pkts |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    foreach (int payload in options.Payloads)
    {
        Measurement baseline = await Measurement.RunAsync(direct, peer.EndPoint, payload, options, serverPid: null);
        Console.WriteLine(baseline.Row("direct loopback", payload, null));
        Measurement relayed = await Measurement.RunAsync([.. clients.Select(c => c.Relay)], peer.EndPoint, payload, options, options.ServerPid);
        Console.WriteLine(relayed.Row("via TURN", payload, baseline));
    }

    return 0;
}
finally
{
    foreach (TurnClient client in clients)
    {
        await client.DisposeAsync();
    }

    foreach (IDatagramTransport transport in direct)
    {
        await transport.DisposeAsync();
    }
}

/// <summary>One measured run of all paths at one payload size.</summary>
internal sealed record Measurement(double RoundTripsPerSecond, double Loss, int P50, int P99, double? ServerCpuSeconds, double Seconds)
{
    public static async Task<Measurement> RunAsync(IReadOnlyList<IDatagramTransport> transports, IPEndPoint peer, int payload, LoadOptions options, int? serverPid)
    {
        double perPath = options.PacketsPerSecond / transports.Count;
        int samplesPerPath = 4_000_000 / transports.Count;
        LoadPath[] paths = [.. transports.Select(t => new LoadPath(t, peer, payload, perPath, options.Window, samplesPerPath))];
        var window = new MeasurementWindow();
        using var stopSending = new CancellationTokenSource();
        using var stopReceiving = new CancellationTokenSource();
        Task running = Task.WhenAll(paths.Select(p => p.RunAsync(window, stopSending.Token, stopReceiving.Token)));

        await Task.Delay(options.Warmup);
        double? cpuBefore = LoadStatistics.ServerCpu(serverPid);
        window.Start = Stopwatch.GetTimestamp();
        await Task.Delay(options.Duration);
        window.End = Stopwatch.GetTimestamp();
        double? cpuAfter = LoadStatistics.ServerCpu(serverPid);
        await stopSending.CancelAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await stopReceiving.CancelAsync();
        await running;

        long sent = paths.Sum(p => p.SentInWindow);
        long received = paths.Sum(p => p.ReceivedInWindow);
        int[] samples = [.. paths.SelectMany(p => p.Samples.ToArray())];
        Array.Sort(samples);
        double seconds = Stopwatch.GetElapsedTime(window.Start, window.End).TotalSeconds;
        return new Measurement(
            received / seconds,
            sent == 0 ? 0 : 1 - ((double)received / sent),
            LoadStatistics.Percentile(samples, 0.50),
            LoadStatistics.Percentile(samples, 0.99),
            cpuAfter - cpuBefore,
            seconds);
    }

    public string Row(string path, int payload, Measurement? baseline)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        bool relayed = baseline is not null;
        // Each round trip crosses the relay twice: client → peer and peer → client.
        double relayedPerSecond = relayed ? 2 * RoundTripsPerSecond : 0;
        string cpu = ServerCpuSeconds is double s && relayedPerSecond > 0
            ? (s / (relayedPerSecond * Seconds * 1e-6)).ToString("F2", c) + $" ({s.ToString("F2", c)} s in {Seconds.ToString("F1", c)} s)"
            : "–";
        return string.Create(c,
            $"| {path} | {payload} | {RoundTripsPerSecond:F0} | {(relayed ? relayedPerSecond.ToString("F0", c) : "–")} | {Loss:P2} | {P50} | {P99} | " +
            $"{(relayed ? (P50 - baseline!.P50).ToString(c) : "–")} | {(relayed ? (P99 - baseline!.P99).ToString(c) : "–")} | {cpu} |");
    }
}
