using System.Runtime.CompilerServices;

namespace PeerConnect.Server.Tests;

/// <summary>
/// Every host in this test assembly gets a STUN/TURN listener on loopback ports the system picks, so tests never
/// take 3478 on all interfaces. Set as environment variables, which is also how the env-var key test sees them.
/// </summary>
internal static class TestEnvironment
{
    public const string Software = "PeerConnect hosted test";

    [ModuleInitializer]
    internal static void UseLoopbackEphemeralPorts()
    {
        Environment.SetEnvironmentVariable("PeerConnect__Turn__Port", "0");
        Environment.SetEnvironmentVariable("PeerConnect__Turn__TlsPort", "0");
        Environment.SetEnvironmentVariable("PeerConnect__Turn__ListenAddresses__0", "127.0.0.1");
        Environment.SetEnvironmentVariable("PeerConnect__Turn__ListenAddresses__1", "::1");
        Environment.SetEnvironmentVariable("PeerConnect__Turn__ReceiveLoops", "1");
        Environment.SetEnvironmentVariable("PeerConnect__Turn__Software", Software);
    }
}
