namespace PeerConnect.Interop.Tests;

/// <summary>
/// Tests that assert no datagram is lost under a burst of load run alone: on two cores, other test classes running
/// beside them can starve a receive loop long enough for a loopback socket buffer to overflow, which would measure
/// the scheduler rather than the relay.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadTestCollection
{
    public const string Name = "load";
}
