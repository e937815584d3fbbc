using System.Net;
using System.Net.Sockets;
using PeerConnect.Stun.Client;
using PeerConnect.Stun.Transport;
using PeerConnect.Testing;
using PeerConnect.Turn.Client;

namespace PeerConnect.Interop.Tests;

/// <summary>
/// Our TURN client against coturn 4.6.1 on loopback: allocation, permissions, Send/Data indications and channels,
/// with data echoed by coturn's own UDP peer (<c>turnutils_peer</c>), over UDP and TCP, with static users and REST
/// credentials.
/// </summary>
public sealed class TurnClientInteropTests
{
    private const string Realm = "example.org";
    private const string User = "alice";
    private const string Password = "secret";
    private const string Secret = "rest-shared-secret";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static TheoryData<StunTransportProtocol, bool> Cases => new()
    {
        { StunTransportProtocol.Udp, false },
        { StunTransportProtocol.Udp, true },
        { StunTransportProtocol.Tcp, false },
        { StunTransportProtocol.Tcp, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task OurClientRelaysThroughCoturnToAnEchoPeer(StunTransportProtocol transport, bool restCredentials)
    {
        string[] auth = restCredentials
            ? ["use-auth-secret", $"static-auth-secret={Secret}"]
            : ["lt-cred-mech", $"user={User}:{Password}"];
        using CoturnServer coturn = await CoturnServer.StartAsync(IPAddress.Loopback, extraConfiguration: [.. auth, $"realm={Realm}", "allow-loopback-peers"]);
        using EchoPeer peer = await EchoPeer.StartAsync();
        TurnClientOptions options = new()
        {
            Server = coturn.EndPoint,
            Transport = transport,
            UseChannels = false,
            Username = restCredentials ? null : User,
            Password = restCredentials ? null : Password,
            RestSecret = restCredentials ? Secret : null,
            RestUserId = restCredentials ? "bob" : null,
        };

        await using TurnClient client = await TurnClient.ConnectAsync(options).WaitAsync(Patience);
        TurnAllocation allocation = await client.AllocateAsync().WaitAsync(Patience);
        Assert.Equal(IPAddress.Loopback, allocation.RelayedEndPoint.Address);
        Assert.Equal(client.LocalEndPoint, allocation.MappedEndPoint);

        // Send indications out, Data indications back: no channel yet.
        await RelayEcho.EchoAsync(client.Relay, peer.EndPoint, "indication", count: 10);

        // ChannelData both ways once bound; odd lengths exercise the stream padding over TCP.
        ushort channel = await client.BindChannelAsync(peer.EndPoint).WaitAsync(Patience);
        Assert.InRange(channel, 0x4000, 0x4FFF);
        await RelayEcho.EchoAsync(client.Relay, peer.EndPoint, "channel", count: 20);
        Assert.Equal(0, client.DroppedDatagrams);
    }

    [Fact]
    public async Task ClosingReleasesTheAllocationSoTheQuotaFreesUp()
    {
        using CoturnServer coturn = await CoturnServer.StartAsync(IPAddress.Loopback, extraConfiguration: ["lt-cred-mech", $"user={User}:{Password}", $"realm={Realm}", "total-quota=1"]);
        var options = new TurnClientOptions { Server = coturn.EndPoint, Username = User, Password = Password };
        await using TurnClient first = await TurnClient.ConnectAsync(options);
        await first.AllocateAsync().WaitAsync(Patience);
        await using (TurnClient refused = await TurnClient.ConnectAsync(options))
        {
            var error = await Assert.ThrowsAsync<StunErrorResponseException>(() => refused.AllocateAsync().WaitAsync(Patience));
            Assert.Equal(486, error.ErrorCode);
        }

        // UDP keeps no connection whose closing would free the allocation: only Refresh with LIFETIME 0 does.
        await first.DisposeAsync();

        // coturn frees the quota when it closes the deleted session, about a second later; without the release
        // the allocation would hold it for its full 600 s lifetime.
        using var giveUp = new CancellationTokenSource(Patience);
        while (true)
        {
            await using TurnClient next = await TurnClient.ConnectAsync(options);
            try
            {
                await next.AllocateAsync(giveUp.Token);
                return;
            }
            catch (StunErrorResponseException e) when (e.ErrorCode == 486 && !giveUp.IsCancellationRequested)
            {
                await Task.Delay(200, giveUp.Token);
            }
        }
    }

    [Fact]
    public async Task CoturnRejectsAWrongPasswordWith401()
    {
        using CoturnServer coturn = await CoturnServer.StartAsync(IPAddress.Loopback, extraConfiguration: ["lt-cred-mech", $"user={User}:{Password}", $"realm={Realm}"]);
        await using TurnClient client = await TurnClient.ConnectAsync(new TurnClientOptions { Server = coturn.EndPoint, Username = User, Password = "wrong" });

        var error = await Assert.ThrowsAsync<StunErrorResponseException>(() => client.AllocateAsync().WaitAsync(Patience));

        Assert.Equal(401, error.ErrorCode);
    }

    [Fact]
    public async Task CoturnForbidsLoopbackPeersUnlessAllowed()
    {
        using CoturnServer coturn = await CoturnServer.StartAsync(IPAddress.Loopback, extraConfiguration: ["lt-cred-mech", $"user={User}:{Password}", $"realm={Realm}"]);
        await using TurnClient client = await TurnClient.ConnectAsync(new TurnClientOptions { Server = coturn.EndPoint, Username = User, Password = Password });
        await client.AllocateAsync().WaitAsync(Patience);

        var error = await Assert.ThrowsAsync<StunErrorResponseException>(
            () => client.CreatePermissionAsync([new IPEndPoint(IPAddress.Loopback, 9)]).WaitAsync(Patience));

        Assert.Equal(403, error.ErrorCode);
    }

    /// <summary>coturn's <c>turnutils_peer</c>: a UDP server echoing every datagram to its sender.</summary>
    private sealed class EchoPeer : IDisposable
    {
        private readonly ExternalProcess _process;

        private EchoPeer(ExternalProcess process, IPEndPoint endPoint)
        {
            _process = process;
            EndPoint = endPoint;
        }

        public IPEndPoint EndPoint { get; }

        public static async Task<EchoPeer> StartAsync()
        {
            int port = FreePorts.FindConsecutive(1, IPAddress.Loopback);
            var peer = new EchoPeer(ExternalProcess.Start("turnutils_peer", ["-L", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]), new IPEndPoint(IPAddress.Loopback, port));
            try
            {
                await peer.WaitUntilEchoingAsync();
            }
            catch
            {
                peer.Dispose();
                throw;
            }

            return peer;
        }

        public void Dispose() => _process.Dispose();

        private async Task WaitUntilEchoingAsync()
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var buffer = new byte[16];
            DateTime giveUp = DateTime.UtcNow + Patience;
            while (DateTime.UtcNow < giveUp)
            {
                Assert.False(_process.HasExited, $"turnutils_peer exited:\n{_process.Output}");
                await socket.SendToAsync("probe"u8.ToArray(), EndPoint);
                using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(250));
                try
                {
                    await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
                    return;
                }
                catch (OperationCanceledException)
                {
                }
            }

            throw new TimeoutException($"turnutils_peer did not echo:\n{_process.Output}");
        }
    }
}
