using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using PeerConnect.Stun.Server;
using PeerConnect.Turn.Server;

namespace PeerConnect.Interop.Tests;

/// <summary>
/// coturn's <c>turnutils_uclient</c> against our TURN server (library <see cref="StunServer"/> + <see cref="TurnServer"/>)
/// on loopback, relaying to <c>turnutils_peer</c> as the UDP echo peer, and TCP relaying (RFC 6062) between uclient sessions.
/// </summary>
[Collection(LoadTestCollection.Name)]
public sealed partial class TurnServerInteropTests : IAsyncLifetime
{
    private const string User = "alice";
    private const string Password = "wonderland";
    private const string Secret = "interop-rest-secret";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Niceness of the uclient runs that count loss: ahead of builds and busy tests at 0 (see the remarks on <see cref="UclientWithStaticUserRelaysWithoutLoss"/>).</summary>
    private const string UclientPriority = "-10";

    private StunServer _stun = null!;
    private TurnServer _turn = null!;
    private ExternalProcess _peer = null!;
    private X509Certificate2 _certificate = null!;
    private int _port;
    private int _peerPort;

    public async Task InitializeAsync()
    {
        // UDP/TCP on _port, TLS on _port + 1.
        _port = FreePorts.FindConsecutive(2, IPAddress.Loopback);
        _certificate = TestCertificates.SelfSigned();
        _peerPort = FreePorts.FindConsecutive(1, IPAddress.Loopback);
        _turn = new TurnServer(new TurnServerOptions
        {
            Realm = "peerconnect",
            Users = new Dictionary<string, string> { [User] = Password },
            AuthSecret = Secret,
            AllowLoopbackPeers = true,
            // coturn's client picks channels from RFC 5766's 0x4000–0x7FFF.
            AllowRfc5766ChannelNumbers = true,
            // Its second Allocate (RESERVATION-TOKEN, no credentials yet) is 56 bytes; the smallest 401 is 60.
            UnauthenticatedAmplificationLimit = 2,
            RelayAddress = IPAddress.Loopback,
            RelayPortMin = 30_000,
            RelayPortMax = 39_999,
        });
        _stun = new StunServer(
            new StunServerOptions { ListenAddresses = [IPAddress.Loopback], Port = _port, TlsPort = _port + 1, Certificate = _certificate, ReceiveLoops = 2 },
            packetHandler: new TurnPacketHandler(_turn));
        await _stun.StartAsync();
        _peer = ExternalProcess.Start("turnutils_peer", ["-L", "127.0.0.1", "-p", _peerPort.ToString(CultureInfo.InvariantCulture)]);
        await Task.Delay(300);
    }

    public async Task DisposeAsync()
    {
        _peer.Dispose();
        await _stun.DisposeAsync();
        await _turn.DisposeAsync();
        _certificate.Dispose();
    }

    /// <remarks>
    /// Issue #3's intermittent ~2 % loss in UDP channel mode was the kernel dropping datagrams at full receive buffers:
    /// UdpRcvbufErrors in the test namespace's /proc/net/snmp matched uclient's loss exactly, and `ss -uam` named the
    /// socket. Under CPU load (2 cores shared with builds) two sockets overflowed. (1) Our listener socket, at the
    /// 208 KiB system default (~200 small datagrams, a quarter second of uclient's 800/s), while our receive path,
    /// then thread-pool completions, was not scheduled: fixed with dedicated receive threads and 4 MiB listener /
    /// 512 KiB relay buffers (StunServerOptions.UdpSocketBufferBytes, TurnServerOptions.RelaySocketBufferBytes).
    /// (2) uclient's own sockets: it sets SO_RCVBUF to 64 KiB itself (128 KiB in the kernel), so no sysctl enlarges
    /// them, and when uclient is starved of CPU the relayed echoes queued for it overflow that buffer. That loss is
    /// uclient's, not the relay's, so uclient runs at a higher priority (<see cref="UclientPriority"/>) to keep reading.
    /// </remarks>
    [Theory]
    [InlineData("udp-channels")]
    [InlineData("udp-send-indications")]
    [InlineData("tcp-channels")]
    [InlineData("tcp-send-indications")]
    public async Task UclientWithStaticUserRelaysWithoutLoss(string mode)
    {
        var flags = new List<string>();
        if (mode.StartsWith("tcp", StringComparison.Ordinal))
        {
            flags.Add("-t");
        }
        if (mode.EndsWith("send-indications", StringComparison.Ordinal))
        {
            flags.Add("-s");
        }
        string[] arguments = [.. flags, "-u", User, "-w", Password, "-m", "4", "-n", "300"];
        var output = await RunUclientAsync(arguments);
        AssertNoLoss(output, expectedMessages: 4 * 300);
    }

    [Theory]
    [InlineData("channels")]
    [InlineData("send-indications")]
    public async Task UclientOverTlsRelaysWithoutLoss(string mode)
    {
        // -S with -t is TLS over TCP (turns:); uclient does not verify the server certificate unless given -E.
        string[] flags = mode == "send-indications" ? ["-t", "-S", "-s"] : ["-t", "-S"];
        var (exitCode, output) = await ExternalProcess.RunAsync(
            "turnutils_uclient",
            Arguments([.. flags, "-u", User, "-w", Password, "-m", "2", "-n", "200"], _port + 1),
            RunTimeout);
        Assert.True(exitCode == 0, $"uclient exited with {exitCode}:\n{output}");
        AssertNoLoss(output, expectedMessages: 2 * 200);
    }

    [Fact]
    public async Task UclientTcpRelayWithoutLoss()
    {
        // RFC 6062: -T makes TCP allocations over TCP. It implies -t and -y: pairs of uclient sessions whose relayed
        // addresses talk to each other, so one session's Connect is the other's ConnectionAttempt, and both bind.
        var output = await RunUclientAsync(["-T", "-u", User, "-w", Password, "-m", "2", "-n", "100"]);
        AssertNoLoss(output, expectedMessages: 2 * 100);
    }

    [Fact]
    public async Task UclientPassiveTcpRelayGetsTheSameCountsAsFromCoturn()
    {
        // -P ("passive TCP, RFC 6062 with active peer") counts only one direction as received: against coturn 4.6.1
        // itself, `-P -m 2 -n 100` reports tot_send_msgs=200, tot_recv_msgs=100 (measured for this test). Ours must
        // give the same: every message of the counted direction arrives.
        var output = await RunUclientAsync(["-P", "-u", User, "-w", Password, "-m", "2", "-n", "100"]);
        var totals = TotalsPattern().Match(output);
        Assert.True(totals.Success, "No totals in uclient output:\n" + output);
        Assert.Equal("200", totals.Groups[1].Value);
        Assert.True(totals.Groups[2].Value == "100", "uclient received other than coturn's 100:\n" + output);
    }

    [Fact]
    public async Task UclientWithRestSecretRelaysWithoutLoss()
    {
        var output = await RunUclientAsync(["-W", Secret, "-u", "bob", "-m", "3", "-n", "200"]);
        AssertNoLoss(output, expectedMessages: 3 * 200);
    }

    [Fact]
    public async Task UclientWithWrongPasswordIsRefused()
    {
        var (_, output) = await ExternalProcess.RunAsync("turnutils_uclient", Arguments(["-u", User, "-w", "wrong", "-n", "5"]), RunTimeout);
        Assert.DoesNotMatch(LostPattern(), output);
        Assert.Equal(0, _turn.AllocationCount);
    }

    [Fact]
    public async Task UclientNegativeTestsDoNoHarm()
    {
        // -N (negative tests) and -R (negative protocol tests) send requests meant to be refused; uclient may wait for
        // answers that never come, so each run gets a bounded time and is then stopped.
        foreach (string mode in new[] { "-N", "-R" })
        {
            using var negative = ExternalProcess.Start("turnutils_uclient", Arguments([mode, "-u", User, "-w", Password, "-n", "20"]));
            for (int i = 0; i < 100 && !negative.HasExited; i++)
            {
                await Task.Delay(100);
            }
        }

        // Still serving afterwards.
        var output = await RunUclientAsync(["-u", User, "-w", Password, "-n", "50"]);
        AssertNoLoss(output, expectedMessages: 50);
    }

    private IEnumerable<string> Arguments(IEnumerable<string> flags, int? port = null) =>
        [.. flags, "-p", (port ?? _port).ToString(CultureInfo.InvariantCulture), "-e", "127.0.0.1", "-r", _peerPort.ToString(CultureInfo.InvariantCulture), "-z", "5", "127.0.0.1"];

    private async Task<string> RunUclientAsync(IEnumerable<string> flags)
    {
        // Without the privilege to raise priority, nice warns and runs uclient as it is.
        var (exitCode, output) = await ExternalProcess.RunAsync("nice", ["-n", UclientPriority, "turnutils_uclient", .. Arguments(flags)], RunTimeout);
        Assert.True(exitCode == 0, $"uclient exited with {exitCode}:\n{output}");
        return output;
    }

    /// <summary>
    /// uclient's summary: "start_mclient: tot_send_msgs=S, tot_recv_msgs=R" and "Total lost packets N (x%), …".
    /// Echoed messages come back through the relay, so no loss means R = S.
    /// </summary>
    private static void AssertNoLoss(string output, int expectedMessages)
    {
        var lost = LostPattern().Match(output);
        Assert.True(lost.Success, "No loss summary in uclient output:\n" + output);
        Assert.True(lost.Groups[1].Value == "0", "uclient lost packets:\n" + output);
        var totals = TotalsPattern().Match(output);
        Assert.True(totals.Success, "No totals in uclient output:\n" + output);
        long sent = long.Parse(totals.Groups[1].Value, CultureInfo.InvariantCulture);
        long received = long.Parse(totals.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.True(sent >= expectedMessages && received == sent, $"sent {sent}, received {received}, expected at least {expectedMessages}:\n{output}");
    }

    [GeneratedRegex(@"Total lost packets (\d+)")]
    private static partial Regex LostPattern();

    [GeneratedRegex(@"start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)")]
    private static partial Regex TotalsPattern();
}
