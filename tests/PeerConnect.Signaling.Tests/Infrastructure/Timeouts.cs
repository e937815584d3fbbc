namespace PeerConnect.Signaling.Tests.Infrastructure;

/// <summary>Upper bounds that only catch hangs; no test asserts how fast anything is.</summary>
public static class Timeouts
{
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);
}
