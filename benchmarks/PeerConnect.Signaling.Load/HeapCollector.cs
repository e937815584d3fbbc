using System.Diagnostics.Tracing;
using System.Runtime.InteropServices;
using Microsoft.Diagnostics.NETCore.Client;

// Asks each server process for a full garbage collection before its memory is read, so that an idle reading is the
// live heap and not whatever garbage the last burst left or the runtime happened to give back since. .NET processes
// through the diagnostics port: an EventPipe session with the runtime's GCHeapCollect keyword induces a blocking
// collection, as heap-dump tools do. Node processes by SIGUSR2, which peerjs-collect-on-signal.js (preloaded with
// --expose-gc) answers with a full collection.
internal static partial class HeapCollector
{
    private const long GcHeapCollectKeyword = 0x800000;
    private const int SigUsr2 = 12;

    public static async Task CollectAsync(IReadOnlyList<int> pids, Func<long> residentBytes)
    {
        foreach (var pid in pids)
        {
            if (File.ReadAllText($"/proc/{pid}/comm").Trim() == "node")
            {
                if (Kill(pid, SigUsr2) != 0)
                {
                    throw new InvalidOperationException($"kill -USR2 {pid} failed: errno {Marshal.GetLastPInvokeError()}");
                }

                continue;
            }

            var provider = new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, GcHeapCollectKeyword);
            using var session = new DiagnosticsClient(pid).StartEventPipeSession(provider, requestRundown: false);
            var drain = session.EventStream.CopyToAsync(Stream.Null);
            await Task.Delay(TimeSpan.FromSeconds(1));
            await session.StopAsync(CancellationToken.None);
            await drain;
        }

        // What the collections free goes back to the system over the next seconds (the GC decommits free regions a
        // step at a time, V8 unmaps pages), so the reading waits until the resident size stops falling.
        var resident = residentBytes();
        for (var i = 0; i < 40; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            var now = residentBytes();
            if (resident - now < 64 * 1024)
            {
                return;
            }

            resident = now;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
