using System.Diagnostics;

namespace PeerConnect.Turn.Server;

/// <summary>
/// A token bucket on <see cref="TimeProvider"/> timestamps: refills at <c>rate</c> per second up to
/// <c>burst</c>. Not thread-safe; its owner serialises calls (the allocation lock, the rate limiter's lock).
/// </summary>
internal struct TokenBucket
{
    private readonly double _ratePerTick;
    private readonly double _burst;
    private double _tokens;
    private long _lastTimestamp;

    public TokenBucket(double ratePerSecond, double burst, long now, TimeProvider time)
    {
        _ratePerTick = ratePerSecond / time.TimestampFrequency;
        _burst = burst;
        _tokens = burst;
        _lastTimestamp = now;
    }

    /// <summary>Takes <paramref name="amount"/> tokens if there are that many; false (and nothing taken) otherwise.</summary>
    public bool TryTake(double amount, long now)
    {
        Debug.Assert(_burst > 0, "An unconfigured bucket is never consulted.");
        long elapsed = now - _lastTimestamp;
        if (elapsed > 0)
        {
            _tokens = Math.Min(_burst, _tokens + (elapsed * _ratePerTick));
            _lastTimestamp = now;
        }
        if (_tokens < amount)
        {
            return false;
        }
        _tokens -= amount;
        return true;
    }
}
