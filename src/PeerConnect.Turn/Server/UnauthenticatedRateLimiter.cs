namespace PeerConnect.Turn.Server;

/// <summary>
/// Limits how often one source address is answered without authentication (401, 438, 400 before credentials), so
/// the server cannot be used to flood a spoofed victim (the reflection concern of RFC 8656 §21).
/// The table is bounded: when full it is emptied, which at worst lets each source one more burst.
/// </summary>
internal sealed class UnauthenticatedRateLimiter
{
    private const int MaxSources = 65_536;
    private const double BurstSeconds = 2;

    private readonly Dictionary<TurnAddress, TokenBucket> _buckets = [];
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly double _perSecond;

    public UnauthenticatedRateLimiter(TimeProvider time, int perSecond)
    {
        _time = time;
        _perSecond = perSecond;
    }

    /// <summary>True when <paramref name="source"/> may be answered now.</summary>
    public bool TryAcquire(TurnAddress source)
    {
        var key = source.WithoutPort();
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            ref var bucket = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_buckets, key, out bool exists);
            if (!exists)
            {
                if (_buckets.Count > MaxSources)
                {
                    _buckets.Clear();
                    bucket = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_buckets, key, out _);
                }
                bucket = new TokenBucket(_perSecond, Math.Max(1, _perSecond * BurstSeconds), now, _time);
            }
            return bucket.TryTake(1, now);
        }
    }
}
