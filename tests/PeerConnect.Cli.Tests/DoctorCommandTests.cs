using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using PeerConnect.Stun.Server;
using PeerConnect.Turn.Server;

namespace PeerConnect.Cli.Tests;

/// <summary><c>peerconnect doctor</c> run in-process against our STUN + TURN server on loopback.</summary>
public sealed class DoctorCommandTests : IAsyncLifetime, IDisposable
{
    private const string User = "alice";
    private const string Password = "wonderland";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("peerconnect-doctor-").FullName;
    private TurnServer _turn = null!;
    private StunServer _server = null!;

    public async Task InitializeAsync()
    {
        _turn = new TurnServer(new TurnServerOptions
        {
            Users = new Dictionary<string, string> { [User] = Password },
            RelayAddress = IPAddress.Loopback,
        });
        _server = new StunServer(
            new StunServerOptions
            {
                ListenAddresses = [IPAddress.Loopback],
                // RFC 5780: a second address and port, so the doctor reports NAT behaviour.
                AlternateAddress = IPAddress.Parse("127.0.0.2"),
                Port = 0,
                ReceiveLoops = 1,
            },
            packetHandler: new TurnPacketHandler(_turn));
        await _server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _turn.DisposeAsync();
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private int UdpPort => _server.UdpEndPoints[0].Port;

    private int TcpPort => _server.TcpEndPoints[0].Port;

    [Fact]
    public async Task StunAndTurnEntriesReportSrflxRelayAuthenticationAndNatBehaviour()
    {
        string file = WriteList($$"""
            [{"urls":["stun:127.0.0.1:{{UdpPort}}"]},
             {"urls":["turn:127.0.0.1:{{UdpPort}}","turn:127.0.0.1:{{TcpPort}}?transport=tcp"],"username":"{{User}}","credential":"{{Password}}"}]
            """);

        var (exit, output, error) = await RunAsync("doctor", "--ice-servers", file);

        Assert.True(exit == 0, output + error);
        Assert.Matches(@"stun:127\.0\.0\.1:\d+\n  Server:[^\n]+\n  Result:          ok: server-reflexive address learned\n  srflx candidate: 127\.0\.0\.1:\d+\n  Round trip:      [\d.]+ ms", output.ReplaceLineEndings("\n"));
        Assert.Contains("NAT mapping:     none (not behind a NAT", output, StringComparison.Ordinal);
        Assert.Equal(2, CountOf(output, "Result:          ok: relay allocated"));
        Assert.Equal(2, CountOf(output, "Authentication:  accepted"));
        Assert.Matches(@"relay candidate: 127\.0\.0\.1:\d+", output);
        Assert.Contains("Verdict:           calls can connect from any network", output, StringComparison.Ordinal);
        Assert.Equal(0, _turn.AllocationCount);
    }

    [Fact]
    public async Task JsonListsCandidateTypesPerServer()
    {
        string file = WriteList($$"""
            {"iceServers":[{"urls":"stun:127.0.0.1:{{UdpPort}}"},
                           {"urls":["turn:127.0.0.1:{{TcpPort}}?transport=tcp"],"username":"{{User}}","credential":"{{Password}}"}]}
            """);

        var (exit, output, _) = await RunAsync("doctor", "--ice-servers", file, "--json");

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        var servers = json.RootElement.GetProperty("servers");
        Assert.Equal("stun", servers[0].GetProperty("kind").GetString());
        Assert.StartsWith("127.0.0.1:", servers[0].GetProperty("srflx").GetString(), StringComparison.Ordinal);
        Assert.True(servers[0].GetProperty("rttMs").GetDouble() >= 0);
        Assert.Equal("no-nat", servers[0].GetProperty("nat").GetProperty("mapping").GetString());
        Assert.Equal("turn", servers[1].GetProperty("kind").GetString());
        Assert.Equal("tcp", servers[1].GetProperty("transport").GetString());
        Assert.Equal("accepted", servers[1].GetProperty("authentication").GetString());
        Assert.StartsWith("127.0.0.1:", servers[1].GetProperty("relay").GetString(), StringComparison.Ordinal);
        Assert.True(json.RootElement.GetProperty("candidates").GetProperty("srflx").GetBoolean());
        Assert.True(json.RootElement.GetProperty("candidates").GetProperty("relay").GetBoolean());
    }

    [Fact]
    public async Task WrongTurnPasswordIsReportedAsAnAuthenticationFailure()
    {
        string file = WriteList($$"""
            [{"urls":["turn:127.0.0.1:{{UdpPort}}"],"username":"{{User}}","credential":"not-the-password"}]
            """);

        var (exit, output, _) = await RunAsync("doctor", "--ice-servers", file);

        Assert.Equal(6, exit);
        Assert.Contains("Authentication:  REJECTED", output, StringComparison.Ordinal);
        Assert.Contains("rejected username 'alice' and its credential", output, StringComparison.Ordinal);
        Assert.Contains("wrong username or password", output, StringComparison.Ordinal);
        Assert.DoesNotContain("relay candidate", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableServersAreReportedWithANonZeroExit()
    {
        int closed = ClosedTcpPort();
        string file = WriteList($$"""
            [{"urls":["turn:127.0.0.1:{{closed}}?transport=tcp"],"username":"{{User}}","credential":"{{Password}}"},
             {"urls":["stun:127.0.0.1:{{closed}}?transport=tcp"]}]
            """);

        var (exit, output, _) = await RunAsync("doctor", "--ice-servers", file, "--timeout", "2s");

        Assert.Equal(3, exit);
        Assert.Equal(2, CountOf(output, "Result:          FAILED, unreachable: cannot reach 127.0.0.1:" + closed));
        Assert.Contains("Verdict:           only host candidates", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingListFileIsAUsageError()
    {
        var (exit, _, error) = await RunAsync("doctor", "--ice-servers", Path.Combine(_directory, "absent.json"));

        Assert.Equal(2, exit);
        Assert.Contains("cannot read", error, StringComparison.Ordinal);
    }

    private string WriteList(string json)
    {
        string path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = await CliApp.RunAsync(args, output, error, CancellationToken.None).WaitAsync(Patience);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>A loopback TCP port nobody listens on: bound, noted, released; connecting is refused at once.</summary>
    private static int ClosedTcpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
