namespace PeerConnect.Server.Hosting;

/// <summary>
/// When the server gives memory back to the operating system after a burst (configuration section
/// <c>PeerConnect:Memory</c>). See <see cref="IdleMemoryTrimmer"/>.
/// </summary>
public sealed record MemoryTrimOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "PeerConnect:Memory";

    /// <summary>Run one compacting, decommitting collection when the process goes quiet after a burst. Default on.</summary>
    public bool TrimWhenIdle { get; init; } = true;

    /// <summary>How long the allocation rate must stay under <see cref="QuietAllocationRate"/>. Default 10 s.</summary>
    public TimeSpan IdleAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Bytes per second, averaged over two seconds, the process may allocate and still count as quiet. Default 512 KiB/s:
    /// 10,000 idle signaling connections with their heartbeats allocate about 0.3 MiB/s, 1,000 connections opening at
    /// once 2–3 MiB in under a second, 1,000 relayed signals a second about 1.3 MiB/s.
    /// </summary>
    public long QuietAllocationRate { get; init; } = 512 * 1024;
}
