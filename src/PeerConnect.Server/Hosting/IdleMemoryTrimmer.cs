using System.Runtime;
using Microsoft.Extensions.Options;

namespace PeerConnect.Server.Hosting;

/// <summary>
/// Gives memory back after a burst. A connect burst or a busy spell leaves the young generation's allocation budget full
/// of garbage and the heap's regions committed, and a quiet server runs no collection to reclaim them: a thousand
/// connections that took a second to open kept several MiB more than they use. Once the allocation rate has stayed under
/// <see cref="MemoryTrimOptions.QuietAllocationRate"/> for <see cref="MemoryTrimOptions.IdleAfter"/>, this runs one
/// compacting collection that also decommits free memory (<see cref="GCCollectionMode.Aggressive"/>), then waits for the
/// next burst: a quiet server is collected once per burst, never on a timer. On glibc it then returns the native heap's
/// free pages too (<c>malloc_trim</c>). Node's V8 does the same with its memory reducer.
/// </summary>
internal sealed partial class IdleMemoryTrimmer : BackgroundService
{
    /// <summary>
    /// How often the allocation counter is read; each such window is quiet or not. Short, so that a connect burst that
    /// lasts under a second still reads as one rather than being averaged into the quiet around it.
    /// </summary>
    internal static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly MemoryTrimOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<IdleMemoryTrimmer> _logger;
    private readonly Func<long> _allocatedBytes;
    private readonly Action _trim;

    public IdleMemoryTrimmer(IOptions<MemoryTrimOptions> options, TimeProvider time, ILogger<IdleMemoryTrimmer> logger)
        : this(options.Value, time, logger, static () => GC.GetTotalAllocatedBytes(), Trim)
    {
    }

    /// <summary>For tests: the allocation counter and the collection are injected.</summary>
    internal IdleMemoryTrimmer(MemoryTrimOptions options, TimeProvider time, ILogger<IdleMemoryTrimmer> logger,
        Func<long> allocatedBytes, Action trim)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _allocatedBytes = allocatedBytes;
        _trim = trim;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.TrimWhenIdle)
        {
            return;
        }

        var detector = new QuietAfterBurst(
            (long)(_options.QuietAllocationRate * CheckInterval.TotalSeconds),
            (int)Math.Ceiling(_options.IdleAfter / CheckInterval));
        var allocated = _allocatedBytes();
        using var timer = new PeriodicTimer(CheckInterval, _time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var now = _allocatedBytes();
            var quietNow = detector.Observe(now - allocated);
            allocated = now;
            if (quietNow)
            {
                var before = GC.GetTotalMemory(forceFullCollection: false);
                _trim();
                allocated = _allocatedBytes();
                LogTrimmed(_logger, _options.IdleAfter, before, GC.GetTotalMemory(forceFullCollection: false));
            }
        }
    }

    private static void Trim()
    {
        // The large object heap is compacted too: pooled buffers rented during the burst are what it holds.
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (OperatingSystem.IsLinux())
        {
            try
            {
                MallocTrim(0);
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                // Not glibc (musl has no malloc_trim): the managed heap is still given back.
            }
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug,
        Message = "Quiet for {IdleAfter} after a burst: collected, managed heap {Before} -> {After} bytes")]
    private static partial void LogTrimmed(ILogger logger, TimeSpan idleAfter, long before, long after);

    // glibc keeps freed native memory (sockets' and the runtime's own allocations from the burst) in its arenas.
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
