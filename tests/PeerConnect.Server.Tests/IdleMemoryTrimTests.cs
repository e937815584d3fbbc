using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PeerConnect.Server.Hosting;

namespace PeerConnect.Server.Tests;

public sealed class IdleMemoryTrimTests
{
    private const long Quiet = 1_000;
    private const long Busy = 2_001;

    [Fact]
    public void QuietRunAfterBurstSaysNowOnce()
    {
        var detector = new QuietAfterBurst(quietBytesPerWindow: Quiet, quietWindowsNeeded: 3);
        Assert.False(detector.Observe(Busy));
        Assert.False(detector.Observe(0)); // averaged with the burst
        Assert.False(detector.Observe(Quiet));
        Assert.False(detector.Observe(Quiet));
        Assert.True(detector.Observe(Quiet));
        for (var i = 0; i < 100; i++)
        {
            Assert.False(detector.Observe(Quiet));
        }
    }

    [Fact]
    public void BurstAcrossAWindowBoundaryCounts()
    {
        var detector = new QuietAfterBurst(Quiet, 2);
        Assert.False(detector.Observe(1_200));
        Assert.False(detector.Observe(1_200));
        Assert.False(detector.Observe(0));
        Assert.True(detector.Observe(0));
    }

    [Fact]
    public void QuietWithoutBurstNeverSaysNow()
    {
        var detector = new QuietAfterBurst(Quiet, 3);
        for (var i = 0; i < 100; i++)
        {
            Assert.False(detector.Observe(Quiet));
        }
    }

    [Fact]
    public void SteadyLoadOverTheQuietRateNeverSaysNow()
    {
        var detector = new QuietAfterBurst(Quiet, 3);
        for (var i = 0; i < 100; i++)
        {
            Assert.False(detector.Observe(Quiet + 1));
        }
    }

    [Fact]
    public void BusyWindowRestartsTheQuietRun()
    {
        var detector = new QuietAfterBurst(Quiet, 3);
        detector.Observe(Busy);
        detector.Observe(0);
        detector.Observe(0);
        detector.Observe(0);
        Assert.False(detector.Observe(Busy));
        Assert.False(detector.Observe(0));
        Assert.False(detector.Observe(0));
        Assert.False(detector.Observe(0));
        Assert.True(detector.Observe(0));
    }

    [Fact]
    public void NextBurstArmsItAgain()
    {
        var detector = new QuietAfterBurst(Quiet, 2);
        detector.Observe(Busy);
        detector.Observe(0);
        detector.Observe(0);
        Assert.True(detector.Observe(0));
        detector.Observe(Busy);
        detector.Observe(0);
        Assert.False(detector.Observe(0));
        Assert.True(detector.Observe(0));
    }

    [Fact]
    public async Task ServiceCollectsOnceWhenQuietAfterBurst()
    {
        var time = new FakeTimeProvider();
        long allocated = 0;
        var reads = 0;
        var trims = 0;
        var options = new MemoryTrimOptions { IdleAfter = TimeSpan.FromSeconds(3), QuietAllocationRate = 1_000 };
        using var trimmer = new IdleMemoryTrimmer(options, time, NullLogger<IdleMemoryTrimmer>.Instance,
            () =>
            {
                Interlocked.Increment(ref reads);
                return Volatile.Read(ref allocated);
            },
            () => Interlocked.Increment(ref trims));
        await trimmer.StartAsync(CancellationToken.None);
        await WaitUntil(() => Volatile.Read(ref reads) >= 1);

        Interlocked.Add(ref allocated, 50_000);
        for (var tick = 1; tick <= 10; tick++)
        {
            time.Advance(IdleMemoryTrimmer.CheckInterval);
            await WaitUntil(() => Volatile.Read(ref reads) >= 1 + tick + Volatile.Read(ref trims));
            Interlocked.Add(ref allocated, 900);
        }

        Assert.Equal(1, Volatile.Read(ref trims));
        await trimmer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task ServiceIsIdleWhenTurnedOff()
    {
        var time = new FakeTimeProvider();
        var trims = 0;
        long allocated = 0;
        var options = new MemoryTrimOptions { TrimWhenIdle = false, IdleAfter = TimeSpan.FromSeconds(1) };
        using var trimmer = new IdleMemoryTrimmer(options, time, NullLogger<IdleMemoryTrimmer>.Instance,
            () => allocated += 10_000_000, () => trims++);
        await trimmer.StartAsync(CancellationToken.None);
        await trimmer.ExecuteTask!;
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, trims);
    }

    [Theory]
    [InlineData("IdleAfter", "00:00:00.5")]
    [InlineData("QuietAllocationRate", "0")]
    public void BadSettingIsRefusedNamingTheKey(string key, string value)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"{MemoryTrimOptions.SectionName}:{key}"] = value })
            .Build();
        using var services = new ServiceCollection().AddLogging().AddPeerConnectMemoryTrim(configuration).BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<MemoryTrimOptions>>().Value);
        Assert.Contains($"{MemoryTrimOptions.SectionName}:{key}", error.Message, StringComparison.Ordinal);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }
    }
}
