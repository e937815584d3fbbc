using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using PeerConnect.Stun.Server;

namespace PeerConnect.Cli.Tests;

/// <summary><c>peerconnect stun probe</c> run in-process against our server on loopback.</summary>
public sealed class StunProbeCommandTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private StunServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = new StunServer(new StunServerOptions
        {
            ListenAddresses = [IPAddress.Loopback, IPAddress.IPv6Loopback],
            AlternateAddress = IPAddress.Parse("127.0.0.2"),
            Port = 0,
            ReceiveLoops = 1,
            Software = "PeerConnect CLI test",
        });
        await _server.StartAsync();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private IPEndPoint Udp4 => _server.UdpEndPoints.Single(e => e.AddressFamily == AddressFamily.InterNetwork);

    [Fact]
    public async Task ProbePrintsMappedAddressSoftwareRoundTripAndNatBehaviour()
    {
        var (exit, output, error) = await RunAsync("stun", "probe", $"stun:127.0.0.1:{Udp4.Port}");

        Assert.Equal(0, exit);
        Assert.Empty(error);
        Assert.Matches(@"Mapped address:\s+127\.0\.0\.1:\d+", output);
        Assert.Contains("PeerConnect CLI test", output, StringComparison.Ordinal);
        Assert.Matches(@"Round trip:\s+[\d.]+ ms", output);
        Assert.Contains("NAT mapping:     none (not behind a NAT", output, StringComparison.Ordinal);
        Assert.Contains("NAT filtering:   endpoint-independent", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonHasTheSameFields()
    {
        var (exit, output, _) = await RunAsync("stun", "probe", $"stun:127.0.0.1:{Udp4.Port}", "--json");

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal($"127.0.0.1:{Udp4.Port}", root.GetProperty("server").GetString());
        Assert.Equal("udp", root.GetProperty("transport").GetString());
        Assert.StartsWith("127.0.0.1:", root.GetProperty("mappedAddress").GetString(), StringComparison.Ordinal);
        Assert.Equal("PeerConnect CLI test", root.GetProperty("software").GetString());
        Assert.True(root.GetProperty("rttMs").GetDouble() >= 0);
        Assert.Equal($"127.0.0.2:{Udp4.Port + 1}", root.GetProperty("otherAddress").GetString());
        Assert.Equal("no-nat", root.GetProperty("nat").GetProperty("mapping").GetString());
        Assert.Equal("endpoint-independent", root.GetProperty("nat").GetProperty("filtering").GetString());
        Assert.False(root.GetProperty("nat").GetProperty("behindNat").GetBoolean());
    }

    [Fact]
    public async Task ProbeOverIPv6()
    {
        int port = _server.UdpEndPoints.Single(e => e.AddressFamily == AddressFamily.InterNetworkV6).Port;

        var (exit, output, _) = await RunAsync("stun", "probe", $"stun:[::1]:{port}");

        Assert.Equal(0, exit);
        Assert.Matches(@"Mapped address:\s+\[::1\]:\d+", output);
        Assert.Contains("not tested", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeOverTcp()
    {
        int port = _server.TcpEndPoints.Single(e => e.AddressFamily == AddressFamily.InterNetwork).Port;

        var (exit, output, _) = await RunAsync("stun", "probe", $"stun:127.0.0.1:{port}?transport=tcp", "--json");

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("tcp", json.RootElement.GetProperty("transport").GetString());
        Assert.Equal(json.RootElement.GetProperty("localAddress").GetString(), json.RootElement.GetProperty("mappedAddress").GetString());
    }

    [Theory]
    [InlineData("http://127.0.0.1:3478")]
    [InlineData("stun:")]
    [InlineData("stun:127.0.0.1:99999")]
    [InlineData("stun:::1")]
    [InlineData("stun:127.0.0.1?transport=sctp")]
    [InlineData("stun://example.org")]
    [InlineData("stun:exa mple.org")]
    [InlineData("stuns:example.org?transport=udp")]
    [InlineData("turn:127.0.0.1:3478")]
    public async Task BadUriIsOneLineAndExitCode2(string uri)
    {
        var (exit, output, error) = await RunAsync("stun", "probe", uri);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task SilentUdpPortTimesOutWithExitCode4()
    {
        int port = SilentUdpPort();

        var (exit, _, error) = await RunAsync("stun", "probe", $"stun:127.0.0.1:{port}", "--timeout", "500ms");

        Assert.Equal(4, exit);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Contains("no answer", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClosedTcpPortIsUnreachableWithExitCode3()
    {
        int port = SilentUdpPort();

        var (exit, _, error) = await RunAsync("stun", "probe", $"stun:127.0.0.1:{port}?transport=tcp");

        Assert.Equal(3, exit);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task HelpListsTheExitCodes()
    {
        var (exit, output, _) = await RunAsync("--help");

        Assert.Equal(0, exit);
        Assert.Contains("Exit codes:", output, StringComparison.Ordinal);
        Assert.Contains("--timeout", output, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = await CliApp.RunAsync(args, output, error, CancellationToken.None).WaitAsync(Patience);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>A loopback port nobody listens on (UDP or TCP): bound, noted, released.</summary>
    private static int SilentUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
