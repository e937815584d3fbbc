using System.Diagnostics;

namespace PeerConnect.Turn.Server;

/// <summary>
/// A token bucket on <see cref="TimeProvider"/> timestamps: refills at <c>rate</c> per second up to
/// <c>burst</c>. Not thread-safe; its owner serialises calls (the allocation lock, the rate limiter's lock).
/// </summary>
internal struct TokenBucket
{
    private readonly double _ratePerSecond;
    private readonly double _ratePerTick;
    private readonly double _burst;
    private double _tokens;
    private long _lastTimestamp;

    public TokenBucket(double ratePerSecond, double burst, long now, TimeProvider time)
    {
        _ratePerSecond = ratePerSecond;
        _ratePerTick = ratePerSecond / time.TimestampFrequency;
        _burst = burst;
        _tokens = burst;
        _lastTimestamp = now;
    }

    /// <summary>Takes <paramref name="amount"/> tokens if there are that many; false (and nothing taken) otherwise.</summary>
    public bool TryTake(double amount, long now)
    {
        Refill(now);
        if (_tokens < amount)
        {
            return false;
        }
        _tokens -= amount;
        return true;
    }

    /// <summary>
    /// Takes <paramref name="amount"/> tokens even when fewer are left, running the bucket into debt, and returns how
    /// long until the refill has repaid it (zero when there was enough): a stream holds its bytes back for that long
    /// instead of dropping them. While in debt, <see cref="TryTake"/> refuses.
    /// </summary>
    public TimeSpan Take(double amount, long now)
    {
        Refill(now);
        _tokens -= amount;
        return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _ratePerSecond);
    }

    private void Refill(long now)
    {
        Debug.Assert(_burst > 0, "An unconfigured bucket is never consulted.");
        long elapsed = now - _lastTimestamp;
        if (elapsed > 0)
        {
            _tokens = Math.Min(_burst, _tokens + (elapsed * _ratePerTick));
            _lastTimestamp = now;
        }
    }
}
