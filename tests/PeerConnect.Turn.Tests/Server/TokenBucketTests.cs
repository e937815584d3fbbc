using Microsoft.Extensions.Time.Testing;
using PeerConnect.Turn.Server;

namespace PeerConnect.Turn.Tests.Server;

/// <summary>The token bucket behind the per-allocation bandwidth limit, on a fake clock.</summary>
public sealed class TokenBucketTests
{
    [Fact]
    public void TryTakeRefusesWhatTheBucketDoesNotHold()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(1000, 1000, time.GetTimestamp(), time);
        Assert.True(bucket.TryTake(800, time.GetTimestamp()));
        Assert.False(bucket.TryTake(300, time.GetTimestamp()));
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(bucket.TryTake(300, time.GetTimestamp()));
    }

    [Fact]
    public void TakeRunsIntoDebtAndSaysHowLongUntilItIsRepaid()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(1000, 1000, time.GetTimestamp(), time);
        AssertWait(0, bucket.Take(600, time.GetTimestamp()));
        AssertWait(0.5, bucket.Take(900, time.GetTimestamp()));
        // In debt, a datagram is refused.
        Assert.False(bucket.TryTake(1, time.GetTimestamp()));

        time.Advance(TimeSpan.FromSeconds(0.5));
        AssertWait(0, bucket.Take(0, time.GetTimestamp()));
        AssertWait(0.25, bucket.Take(250, time.GetTimestamp()));
    }

    [Fact]
    public void RefillNeverExceedsTheBurst()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(1000, 1000, time.GetTimestamp(), time);
        time.Advance(TimeSpan.FromMinutes(5));
        AssertWait(0, bucket.Take(1000, time.GetTimestamp()));
        AssertWait(0.001, bucket.Take(1, time.GetTimestamp()));
    }

    /// <summary>Within a microsecond: the bucket counts in floating point on clock ticks.</summary>
    private static void AssertWait(double expectedSeconds, TimeSpan wait) =>
        Assert.InRange(wait.TotalSeconds, expectedSeconds - 1e-6, expectedSeconds + 1e-6);
}
