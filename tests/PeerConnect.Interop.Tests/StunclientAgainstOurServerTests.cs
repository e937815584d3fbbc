using System.Net;
using System.Net.Sockets;
using PeerConnect.Stun.Server;

namespace PeerConnect.Interop.Tests;

/// <summary>coturn's <c>turnutils_stunclient</c> against our STUN server on loopback.</summary>
public sealed class StunclientAgainstOurServerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly IPAddress Alternate = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task StunclientGetsItsReflexiveAddressFromOurServer()
    {
        await using StunServer server = await StartAsync(alternate: null);
        int port = server.UdpEndPoints.Single().Port;

        (int exit, string output) = await ExternalProcess.RunAsync("turnutils_stunclient", ["-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "127.0.0.1"], Patience);

        Assert.True(exit == 0, output);
        Assert.Matches(@"UDP reflexive addr: 127\.0\.0\.1:\d+", output);
    }

    [Fact]
    public async Task StunclientRfc5780ModeSeesOtherAddressAndChangedOrigins()
    {
        await using StunServer server = await StartAsync(Alternate);
        int port = server.UdpEndPoints.Single().Port;

        (int exit, string output) = await ExternalProcess.RunAsync("turnutils_stunclient", ["-f", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "127.0.0.1"], Patience);

        Assert.True(exit == 0, output);
        // Response 1 from the primary endpoint names the alternate; responses 2 and 3 (CHANGE-REQUEST) come from it.
        Assert.Contains($"Response origin: : 127.0.0.1:{port}", output, StringComparison.Ordinal);
        Assert.Contains($"Other addr: : 127.0.0.2:{port + 1}", output, StringComparison.Ordinal);
        Assert.Contains($"Response origin: : 127.0.0.2:{port + 1}", output, StringComparison.Ordinal);
        Assert.Contains("RFC 5780 response 3", output, StringComparison.Ordinal);
        Assert.Matches(@"UDP reflexive addr: 127\.0\.0\.1:\d+", output);
    }

    private static async Task<StunServer> StartAsync(IPAddress? alternate)
    {
        // RFC 5780 needs Port and Port+1 on both addresses, so pick a free pair rather than port 0.
        int port = FreePorts.FindConsecutive(2, alternate is null ? [IPAddress.Loopback] : [IPAddress.Loopback, alternate]);
        var server = new StunServer(new StunServerOptions
        {
            ListenAddresses = [IPAddress.Loopback],
            AlternateAddress = alternate,
            Port = port,
            EnableTcp = false,
            ReceiveLoops = 1,
            Software = "PeerConnect interop",
        });
        await server.StartAsync();
        return server;
    }
}
