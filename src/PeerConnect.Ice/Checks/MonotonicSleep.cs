using System.Diagnostics;
using System.Runtime.InteropServices;

namespace PeerConnect.Ice.Checks;

/// <summary>
/// Sleeping until an absolute <see cref="Stopwatch"/> timestamp with sub-millisecond precision, which no managed wait
/// offers (they all take whole milliseconds). On Linux, Stopwatch reads CLOCK_MONOTONIC in nanoseconds, so
/// clock_nanosleep(2) with TIMER_ABSTIME on that clock wakes at the timestamp itself. Elsewhere unsupported.
/// </summary>
internal static partial class MonotonicSleep
{
    private const int ClockMonotonic = 1;
    private const int TimerAbsoluteTime = 1;
    private const long NanosecondsPerSecond = 1_000_000_000;

    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && Stopwatch.IsHighResolution && Stopwatch.Frequency == NanosecondsPerSecond;

    /// <summary>Sleeps until <paramref name="timestamp"/> (a <see cref="Stopwatch.GetTimestamp"/> value); returns at once if it has passed.</summary>
    public static void Until(long timestamp)
    {
        var request = new TimeSpec { Seconds = timestamp / NanosecondsPerSecond, Nanoseconds = timestamp % NanosecondsPerSecond };
        // EINTR (a signal) ends the sleep early; the caller re-checks the clock, so no retry is needed here.
        _ = ClockNanosleep(ClockMonotonic, TimerAbsoluteTime, in request, IntPtr.Zero);
    }

    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    private static partial int ClockNanosleep(int clock, int flags, in TimeSpec request, IntPtr remaining);

    /// <summary>struct timespec on 64-bit Linux: two 64-bit fields.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
