namespace PeerConnect.Server.Signaling;

/// <summary>Per-connection rate limit: <c>burst</c> tokens, refilled at <c>rate</c> per second. Used from one reader loop only.</summary>
internal sealed class TokenBucket(double ratePerSecond, int burst, TimeProvider timeProvider)
{
    private double _tokens = burst;
    private long _lastRefill = timeProvider.GetTimestamp();

    public bool TryTake()
    {
        var now = timeProvider.GetTimestamp();
        var elapsed = timeProvider.GetElapsedTime(_lastRefill, now).TotalSeconds;
        _lastRefill = now;
        _tokens = Math.Min(burst, _tokens + (elapsed * ratePerSecond));
        if (_tokens < 1)
        {
            return false;
        }

        _tokens -= 1;
        return true;
    }
}
