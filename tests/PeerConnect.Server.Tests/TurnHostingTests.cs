using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PeerConnect.Server.Stun;
using PeerConnect.Stun.Transport;
using PeerConnect.Testing;
using PeerConnect.Turn.Client;

namespace PeerConnect.Server.Tests;

/// <summary>
/// The whole PeerConnect.Server host on Kestrel with TURN turned on by configuration keys alone: our client relays
/// through it to a UDP echo peer, and <c>/metrics</c> shows the TURN counters.
/// </summary>
public sealed class TurnHostingTests
{
    [Fact]
    public async Task HostedTurnRelaysDataAndExportsMetrics()
    {
        int port = FreeUdpAndTcpPort();
        await using var host = HostWith(new()
        {
            ["PeerConnect:Turn:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PeerConnect:Turn:ListenAddresses:0"] = "127.0.0.1",
            ["PeerConnect:Turn:Users:alice"] = "secret",
            ["PeerConnect:Turn:AllowLoopbackPeers"] = "true",
        });
        Uri http = host.Start();
        await using var peer = new UdpEchoPeer();

        await using (TurnClient client = await TurnClient.ConnectAsync(new TurnClientOptions
        {
            Server = new IPEndPoint(IPAddress.Loopback, port),
            Username = "alice",
            Password = "secret",
        }).WaitAsync(RelayEcho.Patience))
        {
            await client.AllocateAsync().WaitAsync(RelayEcho.Patience);
            await RelayEcho.EchoAsync(client.Relay, peer.EndPoint, "indication", count: 5);
            await client.BindChannelAsync(peer.EndPoint).WaitAsync(RelayEcho.Patience);
            await RelayEcho.EchoAsync(client.Relay, peer.EndPoint, "channel", count: 5);
        }

        using var scraper = new HttpClient { BaseAddress = http };
        string metrics = await scraper.GetStringAsync("/metrics").WaitAsync(RelayEcho.Patience);
        Assert.Contains("peerconnect_turn_relayed_packets", metrics, StringComparison.Ordinal);
        Assert.Contains("peerconnect_turn_relayed_bytes", metrics, StringComparison.Ordinal);
        Assert.Contains("peerconnect_turn_allocations", metrics, StringComparison.Ordinal);
        Assert.Contains("peerconnect_turn_channels", metrics, StringComparison.Ordinal);
        Assert.Matches("peerconnect_turn_relayed_packets[^\\n]*direction=\"to_peer\"[^\\n]*\\} [1-9]", metrics);
    }

    [Fact]
    public async Task GeneratedDevelopmentCertificateServesTurnOverTls()
    {
        int tlsPort = FreeUdpAndTcpPort();
        await using var host = HostWith(new()
        {
            ["PeerConnect:Turn:TlsPort"] = tlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PeerConnect:Turn:ListenAddresses:0"] = "127.0.0.1",
            ["PeerConnect:Turn:Users:alice"] = "secret",
            ["PeerConnect:Turn:AllowLoopbackPeers"] = "true",
            ["PeerConnect:Turn:GenerateDevelopmentCertificate"] = "true",
        });
        host.Start();
        var certificate = host.Listener.Certificate!;
        Assert.Equal("CN=localhost", certificate.Subject);
        Assert.True(certificate.NotAfter.ToUniversalTime() <= DateTime.UtcNow.AddDays(30));
        await using var peer = new UdpEchoPeer();

        await using TurnClient client = await TurnClient.ConnectAsync(new TurnClientOptions
        {
            Server = new IPEndPoint(IPAddress.Loopback, tlsPort),
            Transport = StunTransportProtocol.Tls,
            TlsServerName = "localhost",
            // Trust exactly the generated certificate, as a developer would.
            TlsCertificateValidation = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString(),
            Username = "alice",
            Password = "secret",
        }).WaitAsync(RelayEcho.Patience);
        await client.AllocateAsync().WaitAsync(RelayEcho.Patience);
        await client.BindChannelAsync(peer.EndPoint).WaitAsync(RelayEcho.Patience);
        await RelayEcho.EchoAsync(client.Relay, peer.EndPoint, "tls", count: 5);
    }

    [Fact]
    public async Task WithoutCertificateOrGenerationThereIsNoTls()
    {
        await using var host = HostWith(new() { ["PeerConnect:Turn:Users:alice"] = "secret" });
        host.Start();
        Assert.Null(host.Listener.Certificate);
        Assert.Empty(host.Listener.Server!.TlsEndPoints);
    }

    internal static TurnHost HostWith(Dictionary<string, string?> settings) => new(settings);

    /// <summary>A port free for both UDP and TCP on 127.0.0.1 (TURN listens on both with the same number).</summary>
    internal static int FreeUdpAndTcpPort()
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            try
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
            }
        }
        throw new InvalidOperationException("No port free for both UDP and TCP.");
    }

    /// <summary>The real host on Kestrel at 127.0.0.1 on a free port, with the given settings over the defaults.</summary>
    internal sealed class TurnHost(Dictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        public Uri Start()
        {
            UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
            StartServer();
            return new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }

        public StunListenerService Listener => Services.GetRequiredService<StunListenerService>();

        protected override void ConfigureWebHost(IWebHostBuilder builder) =>
            builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(settings));
    }
}
