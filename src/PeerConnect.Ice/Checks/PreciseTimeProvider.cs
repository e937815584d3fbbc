using System.Diagnostics;

namespace PeerConnect.Ice.Checks;

/// <summary>
/// The system clock with timers that fire within a millisecond of their due time, for Ta pacing (RFC 8445 §14.2).
/// <see cref="TimeProvider.System"/>'s timers decide when they are due on <see cref="Environment.TickCount64"/>, which on
/// Linux reads CLOCK_MONOTONIC_COARSE: with the kernel ticking at 250 Hz a 19 ms timer was measured firing up to 3.5 ms
/// late (p95), so every paced check — and the nominating one — went out late by as much. Here one background thread
/// serves every agent in the process: it waits on a monitor until shortly before the earliest due time, sleeps the
/// final stretch precisely (<see cref="MonotonicSleep"/>; where that is unsupported the monitor wait rounds up to the
/// whole millisecond, the finest a managed wait takes, so a timer never fires early), and runs the due callbacks
/// itself. Callbacks must be short and must not throw: the agent's only post an event to its loop.
/// </summary>
internal sealed class PreciseTimeProvider : TimeProvider
{
    /// <summary>How close to the due time the monitor wait hands over to the precise sleep.</summary>
    private const double FinalStretchMilliseconds = 2;

    private readonly object _gate = new();
    private readonly PriorityQueue<(PreciseTimer Timer, long Generation), long> _due = new();
    private Thread? _thread;

    private PreciseTimeProvider()
    {
    }

    public static PreciseTimeProvider Instance { get; } = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new PreciseTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private void Schedule(PreciseTimer timer, long generation, long dueTimestamp)
    {
        lock (_gate)
        {
            _due.Enqueue((timer, generation), dueTimestamp);
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "PeerConnect ICE pacing" };
                _thread.Start();
            }

            Monitor.Pulse(_gate);
        }
    }

    private void Run()
    {
        var firing = new List<PreciseTimer>();
        while (true)
        {
            long sleepUntil = 0;
            lock (_gate)
            {
                long now = Stopwatch.GetTimestamp();
                while (_due.TryPeek(out var entry, out long due) && due <= now)
                {
                    _due.Dequeue();
                    if (entry.Timer.TakeDue(entry.Generation, now) is { } next)
                    {
                        _due.Enqueue(entry, next);
                    }

                    if (entry.Timer.Generation == entry.Generation)
                    {
                        firing.Add(entry.Timer);
                    }
                }

                if (firing.Count == 0)
                {
                    if (!_due.TryPeek(out _, out long earliest))
                    {
                        Monitor.Wait(_gate);
                        continue;
                    }

                    double ms = Stopwatch.GetElapsedTime(now, earliest).TotalMilliseconds;
                    if (ms > FinalStretchMilliseconds || !MonotonicSleep.IsSupported)
                    {
                        // Whole milliseconds: wake before the final stretch (or, without a precise sleep, round up so
                        // the timer never fires early). A Pulse for a new, earlier timer ends the wait.
                        Monitor.Wait(_gate, MonotonicSleep.IsSupported ? (int)Math.Min(ms - FinalStretchMilliseconds, int.MaxValue) + 1 : (int)Math.Min(Math.Ceiling(ms), int.MaxValue));
                        continue;
                    }

                    sleepUntil = earliest;
                }
            }

            if (sleepUntil != 0)
            {
                // The last stretch to the due time sleeps on the same monotonic clock Stopwatch reads; a timer created
                // for an earlier time meanwhile waits at most this stretch.
                MonotonicSleep.Until(sleepUntil);
                continue;
            }

            foreach (var timer in firing)
            {
                timer.Fire();
            }

            firing.Clear();
        }
    }

    /// <summary>One timer; <see cref="Change"/> bumps its generation so entries already queued for it go stale.</summary>
    private sealed class PreciseTimer(PreciseTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private long _period = -1;
        private bool _disposed;

        public long Generation { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            long generation;
            lock (owner._gate)
            {
                if (_disposed)
                {
                    return false;
                }

                generation = ++Generation;
                _period = period == Timeout.InfiniteTimeSpan ? -1 : Ticks(period);
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    return true;
                }
            }

            owner.Schedule(this, generation, Stopwatch.GetTimestamp() + Ticks(dueTime));
            return true;
        }

        /// <summary>Called under the owner's lock when an entry is due; returns when a periodic timer is due next.</summary>
        public long? TakeDue(long generation, long now) =>
            generation == Generation && !_disposed && _period > 0 ? now + _period : null;

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (owner._gate)
            {
                _disposed = true;
                Generation++;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private static long Ticks(TimeSpan value) =>
            value < TimeSpan.Zero ? throw new ArgumentOutOfRangeException(nameof(value)) : (long)(value.TotalSeconds * Stopwatch.Frequency);
    }
}
