using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

// Usage (servers already running; see docs/benchmarks.md "Signaling at scale"):
//   dotnet run -c Release --project benchmarks/PeerConnect.Signaling.Load -- \
//     --protocol peerconnect|peerjs --urls ws://127.0.0.1:5000/ws[,ws://127.0.0.1:5001/ws] --clients 1000 \
//     [--seconds 20] [--rate 1] [--sources 4] [--idle 30] [--warmup clients/10] [--pids 1234[,5678]] [--metrics http://127.0.0.1:5000/metrics[,...]]
//     [--collect]
// Client 2k and 2k+1 form a pair (a room of two); with several URLs the two sit on different servers.
// Each client sends --rate signals per second to its partner; the payload carries the send time, so the
// receiver measures relay latency on one clock. Server memory is the RSS of --pids before the clients connect,
// after --warmup clients have connected, signalled and closed and a tenth of the clients have then sat idle for
// --idle seconds, and after all of them have; with --collect, each of those readings follows a full collection in
// every server (HeapCollector); with --metrics, the servers'
// managed heap (System.Runtime meter) at the same points tells the GC heap apart from the rest of the RSS.
var options = LoadOptions.Parse(args);
var pairs = options.Clients / 2;
var clients = new LoadClient[pairs * 2];
if (options.Collect)
{
    await HeapCollector.CollectAsync(options.Pids, () => Rss(options.Pids));
}

var rssBefore = Rss(options.Pids);
var heapBefore = await ManagedHeapAsync(options.Metrics);
Console.WriteLine($"protocol {options.Protocol}, {clients.Length} clients, {options.Urls.Count} server(s), {options.Sources} source address(es), rate {options.Rate}/s per client, {options.Seconds} s, idle {options.Idle} s; server RSS {rssBefore / 1048576.0:F1} MiB ({RssBreakdown(options.Pids)})");

// A warm-up, then two stages: a tenth of the clients, then the rest. The warm-up clients connect, join, signal and
// close, so the process has grown by what it grows once (code and its JIT tiers, thread pool threads, GC structures)
// before the first stage; the second stage's growth divided by its clients is what one more idle connection costs.
var firstStage = Math.Max(2, pairs / 10 * 2);
if (options.Warmup > 0)
{
    await WarmUpAsync(Math.Max(2, options.Warmup / 2 * 2));
}

var connectWatch = Stopwatch.StartNew();
await OpenAsync(clients, 0, firstStage, "p", 0);
var (rssFirst, heapFirst, heldFirst) = await IdleAsync("first stage");
await OpenAsync(clients, firstStage, clients.Length, "p", 0);
var opened = clients.Count(c => c is not null);
Console.WriteLine($"opened {opened}/{clients.Length}; connect and join {connectWatch.Elapsed.TotalSeconds - options.Idle:F1} s");
var (rssIdle, heapIdle, heldIdle) = await IdleAsync("all");
var perConnection = (rssIdle - rssBefore) / 1024.0 / Math.Max(1, heldIdle);
var marginal = (rssIdle - rssFirst) / 1024.0 / Math.Max(1, heldIdle - heldFirst);
Console.WriteLine($"idle: {heldIdle} held; server RSS {rssBefore / 1048576.0:F1} MiB -> {rssFirst / 1048576.0:F1} MiB ({heldFirst}) -> {rssIdle / 1048576.0:F1} MiB; {perConnection:F1} KiB per connection from the start, {marginal:F1} KiB per connection of the second stage");
if (options.Metrics.Count > 0)
{
    Console.WriteLine($"idle: GC heap after last collection {heapBefore.Heap / 1048576.0:F1} MiB -> {heapFirst.Heap / 1048576.0:F1} MiB -> {heapIdle.Heap / 1048576.0:F1} MiB ({(heapIdle.Heap - heapBefore.Heap) / 1024.0 / Math.Max(1, heldIdle):F1} KiB per connection from the start, {(heapIdle.Heap - heapFirst.Heap) / 1024.0 / Math.Max(1, heldIdle - heldFirst):F1} of the second stage), GC committed {heapBefore.Committed / 1048576.0:F1} MiB -> {heapIdle.Committed / 1048576.0:F1} MiB");
}

var cpuBefore = CpuSeconds(options.Pids);
var pausesBefore = await GcPausesAsync(options.Metrics);
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(options.Seconds));
var exchangeStart = Stopwatch.GetTimestamp();
var ownPauseBefore = GC.GetTotalPauseDuration();
var ownCollectionsBefore = GC.CollectionCount(0);
var senders = clients.Where(c => c is { Partner: not null }).Select(c => c.SendLoopAsync(options.Rate, stop.Token)).ToList();
await Task.WhenAll(senders);
await Task.Delay(TimeSpan.FromSeconds(2));
var elapsed = Stopwatch.GetElapsedTime(exchangeStart).TotalSeconds - 2;
var relayed = clients.Where(c => c is not null).SelectMany(c => c.Latencies()).ToArray();
var latencies = relayed.Select(r => r.Milliseconds).Order().ToArray();
var sent = clients.Where(c => c is not null).Sum(c => c.Sent);
var held = clients.Count(c => c is { IsOpen: true });
var rssLoaded = Rss(options.Pids);
var cpu = CpuSeconds(options.Pids) - cpuBefore;
var pausesAfter = await GcPausesAsync(options.Metrics);
var pauses = (Seconds: pausesAfter.Seconds - pausesBefore.Seconds, Count: pausesAfter.Count - pausesBefore.Count, Allocated: pausesAfter.Allocated - pausesBefore.Allocated);
Console.WriteLine($"exchange: sent {sent}, received {latencies.Length} ({latencies.Length / elapsed:F0} msg/s), held {held}, errors {clients.Where(c => c is not null).Sum(c => c.Errors)}");
if (latencies.Length > 0)
{
    Console.WriteLine($"relay latency: p50 {Percentile(latencies, 0.50):F2} ms, p99 {Percentile(latencies, 0.99):F2} ms, max {latencies[^1]:F2} ms");
    Console.WriteLine(SlowestWhen(relayed, Percentile(latencies, 0.99), exchangeStart));
    // The clients' own collections delay what they measure, whichever server they measure.
    Console.WriteLine($"load tool's own GC during the exchange: {GC.CollectionCount(0) - ownCollectionsBefore} collections, {(GC.GetTotalPauseDuration() - ownPauseBefore).TotalMilliseconds:F0} ms paused");
}

Console.WriteLine($"server RSS under load: {rssLoaded / 1048576.0:F1} MiB; server CPU during the exchange {cpu:F1} s, {cpu * 1e6 / Math.Max(1, latencies.Length):F0} us per relayed message{(options.Metrics.Count > 0 ? $"; GC pauses {pauses.Seconds * 1000:F0} ms in {pauses.Count} collections, {pauses.Allocated / Math.Max(1, latencies.Length):F0} bytes allocated per relayed message" : "")}");
Console.WriteLine($"| {options.Protocol} | {options.Urls.Count} | {clients.Length} | {held} | {latencies.Length / elapsed:F0} | {(latencies.Length > 0 ? Percentile(latencies, 0.50) : double.NaN):F2} | {(latencies.Length > 0 ? Percentile(latencies, 0.99) : double.NaN):F2} | {perConnection:F1} | {marginal:F1} |");
foreach (var client in clients.Where(c => c is not null))
{
    client.Abort();
}

// Opens clients [from, to) of 'set' with at most 200 handshakes at a time, pairs them, and joins each pair's room.
async Task OpenAsync(LoadClient[] set, int from, int to, string roomPrefix, int idBase)
{
    using var gate = new SemaphoreSlim(200);
    await Task.WhenAll(Enumerable.Range(from, to - from).Select(async i =>
    {
        await gate.WaitAsync();
        try
        {
            var url = options.Urls[i % 2 % options.Urls.Count];
            var source = IPAddress.Parse($"127.0.0.{1 + (i % options.Sources)}");
            set[i] = await LoadClient.OpenAsync(options.Protocol, url, source, $"{roomPrefix}{i / 2}", idBase + i);
        }
        catch (Exception e) when (e is WebSocketException or IOException or SocketException or OperationCanceledException or HttpRequestException)
        {
            Console.Error.WriteLine($"client {i}: {e.Message}");
        }
        finally
        {
            gate.Release();
        }
    }));

    for (var p = from / 2; p < to / 2; p++)
    {
        if (set[2 * p] is { } a && set[2 * p + 1] is { } b)
        {
            a.Partner = b.Id;
            b.Partner = a.Id;
        }
    }

    if (options.Protocol == "peerconnect")
    {
        // Join in pair order so the second member's 'joined' lists the first.
        await Task.WhenAll(set[from..to].Where(c => c is not null).Select(c => c.JoinAsync()));
    }
}

// Clients that connect, join, signal twice and close normally (the server ends their sessions at once).
async Task WarmUpAsync(int count)
{
    var warm = new LoadClient[count];
    await OpenAsync(warm, 0, count, "w", clients.Length);
    using (var signalling = new CancellationTokenSource(TimeSpan.FromSeconds(1.5)))
    {
        await Task.WhenAll(warm.Where(c => c is { Partner: not null }).Select(c => c.SendLoopAsync(2, signalling.Token)));
    }

    await Task.WhenAll(warm.Where(c => c is not null).Select(c => c.CloseAsync()));
    await Task.Delay(TimeSpan.FromSeconds(3));
    Console.WriteLine($"warm-up: {count} clients connected, signalled and closed; server RSS {Rss(options.Pids) / 1048576.0:F1} MiB ({RssBreakdown(options.Pids)})");
}

// Lets the open clients sit idle, by default 30 s: past the server's first heartbeat, which pings a connection 14-29 s
// after it opened (default 15 s interval, spread over 16 slots), and whose pong acknowledges what the joins left held
// for a resume. Then reads the servers' memory.
async Task<(long Rss, (double Heap, double Committed) Managed, int Held)> IdleAsync(string stage)
{
    await Task.Delay(TimeSpan.FromSeconds(options.Idle));
    if (options.Collect)
    {
        await HeapCollector.CollectAsync(options.Pids, () => Rss(options.Pids));
    }

    var rss = Rss(options.Pids);
    var managed = await ManagedHeapAsync(options.Metrics);
    var held = clients.Count(c => c is { IsOpen: true });
    Console.WriteLine($"idle ({stage}): {held} held, server RSS {rss / 1048576.0:F1} MiB ({RssBreakdown(options.Pids)})");
    return (rss, managed, held);
}

// When the slowest 1% were sent, in 10 ms windows from the start of the exchange: a few full windows point at stalls
// (a collection, a burst of heartbeats), many thin ones at queueing spread over the run.
static string SlowestWhen((long Sent, double Milliseconds)[] relayed, double p99, long start)
{
    var windows = relayed.Where(r => r.Milliseconds >= p99)
        .GroupBy(r => (long)Stopwatch.GetElapsedTime(start, r.Sent).TotalMilliseconds / 10)
        .OrderByDescending(g => g.Count())
        .ToList();
    var slow = windows.Sum(g => g.Count());
    var fullest = string.Join(", ", windows.Take(8).Select(g => $"{g.Key * 10} ms ({g.Count()})"));
    var inFullest = windows.Take(8).Sum(g => g.Count());
    return $"slowest 1%: {slow} signals sent in {windows.Count} windows of 10 ms; {inFullest} of them in the 8 fullest, at {fullest}";
}

static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

// Sums, over the servers, the runtime's Prometheus gauges of the GC heap after the last collection and of the memory
// the GC has committed.
static async Task<(double Heap, double Committed)> ManagedHeapAsync(IReadOnlyList<Uri> endpoints)
{
    var sums = await MetricSumsAsync(endpoints, "dotnet_gc_last_collection_heap_size_bytes", "dotnet_gc_last_collection_memory_committed_size_bytes");
    return (sums[0], sums[1]);
}

// User plus system time of the servers (/proc/PID/stat fields 14 and 15, in clock ticks of 100 Hz on Linux).
static double CpuSeconds(IReadOnlyList<int> pids)
{
    double total = 0;
    foreach (var pid in pids)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        total += (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    return total;
}

// Total GC pause time, collection count and bytes allocated of the servers so far (System.Runtime meter).
static async Task<(double Seconds, double Count, double Allocated)> GcPausesAsync(IReadOnlyList<Uri> endpoints)
{
    var sums = await MetricSumsAsync(endpoints, "dotnet_gc_pause_time_seconds_total", "dotnet_gc_collections_total", "dotnet_gc_heap_total_allocated_bytes_total");
    return (sums[0], sums[1], sums[2]);
}

// Sums each named metric over every series of it (every generation, every server) on the servers' /metrics pages.
static async Task<double[]> MetricSumsAsync(IReadOnlyList<Uri> endpoints, params string[] names)
{
    var sums = new double[names.Length];
    using var http = new HttpClient();
    foreach (var endpoint in endpoints)
    {
        foreach (var line in (await http.GetStringAsync(endpoint)).Split('\n'))
        {
            var i = Array.FindIndex(names, name => line.StartsWith(name, StringComparison.Ordinal));
            if (i >= 0)
            {
                sums[i] += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }
    }

    return sums;
}

static long Rss(IReadOnlyList<int> pids) => StatusSum(pids, "VmRSS:") * 1024;

// Where the RSS is (proc(5): anonymous memory, mapped files, shared memory such as the JIT's double-mapped code) and
// how many threads hold stacks, so a stage's growth can be told apart from what a burst leaves once.
static string RssBreakdown(IReadOnlyList<int> pids) =>
    $"anon {StatusSum(pids, "RssAnon:") / 1024.0:F1}, file {StatusSum(pids, "RssFile:") / 1024.0:F1}, " +
    $"shmem {StatusSum(pids, "RssShmem:") / 1024.0:F1} MiB, {StatusSum(pids, "Threads:")} threads";

// Sums one numeric field of /proc/PID/status over the processes (kB for the memory fields).
static long StatusSum(IReadOnlyList<int> pids, string field)
{
    long total = 0;
    foreach (var pid in pids)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                total += long.Parse(line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }
    }

    return total;
}

internal sealed record LoadOptions(string Protocol, IReadOnlyList<Uri> Urls, int Clients, int Seconds, double Rate, int Sources, int Idle, int Warmup, IReadOnlyList<int> Pids, IReadOnlyList<Uri> Metrics, bool Collect)
{
    public static LoadOptions Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        return new LoadOptions(
            Get("--protocol", "peerconnect"),
            Get("--urls", "ws://127.0.0.1:5000/ws").Split(',').Select(u => new Uri(u)).ToList(),
            int.Parse(Get("--clients", "1000"), CultureInfo.InvariantCulture),
            int.Parse(Get("--seconds", "20"), CultureInfo.InvariantCulture),
            double.Parse(Get("--rate", "1"), CultureInfo.InvariantCulture),
            int.Parse(Get("--sources", "4"), CultureInfo.InvariantCulture),
            int.Parse(Get("--idle", "30"), CultureInfo.InvariantCulture),
            int.Parse(Get("--warmup", Math.Max(2, int.Parse(Get("--clients", "1000"), CultureInfo.InvariantCulture) / 10).ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture),
            Get("--pids", "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList(),
            Get("--metrics", "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(u => new Uri(u)).ToList(),
            args.Contains("--collect"));
    }
}
